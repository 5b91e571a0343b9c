/* chart.js: Memo.LineChart, the small SVG line chart that accuracy.js and curves.js draw with.
 * Not a figure kind: a library, loaded before the figure scripts, that only defines the helper (and the
 * controls and set-up the chart figures share), used inside the figures' init functions.
 *
 *   var chart = Memo.LineChart.create(container, {xLabel, yLabel, height, xLog, xFormat, yFormat,
 *                                                 xDomain, yDomain, xInteger, xZero, xLabelShort, label});
 *   chart.draw(series)   series: [{id, label, className, points: [[x, y], ...], dash, thin, faded,
 *                                  markers, swatch}]; y null = a gap
 *   chart.set(options)   change options (then draw again)
 * Draws at the container's width (redrawn when it changes), a tooltip (textContent only) for the point
 * nearest the pointer or, with the chart focused, the arrow keys.
 * Also what the chart figures share: begin(figure, defaultSrc) (the body, data-src, the data and
 * data/published.json), colourClass(key, i), swatch and swatchLabel (legend entries), toggle, choice and
 * modelToggles (controls).
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  var svg = Memo.svg;
  var element = Memo.element;
  var CLASSES = ["memo-gru", "memo-lstm", "memo-nlstm"];

  /** The colour class of model `key`, the i-th drawn: its own where the stylesheet has one. */
  function colourClass(key, i) {
    return CLASSES.indexOf("memo-" + key) >= 0 ? "memo-" + key : CLASSES[i % CLASSES.length];
  }

  /** Round ticks covering [a, b], about `count` of them. */
  function linearTicks(a, b, count) {
    var span = b - a;
    if (!(span > 0)) return [a];
    var step = Math.pow(10, Math.floor(Math.log10(span / count)));
    var err = span / count / step;
    if (err >= 7.5) step *= 10;
    else if (err >= 3.5) step *= 5;
    else if (err >= 1.5) step *= 2;
    var ticks = [];
    for (var v = Math.ceil(a / step - 1e-9) * step; v <= b + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
    return ticks;
  }

  function logTicks(a, b) {
    var ticks = [];
    var lo = Math.floor(Math.log10(a));
    var hi = Math.ceil(Math.log10(b));
    var mults = hi - lo <= 2 ? [1, 2, 5] : [1];
    for (var e = lo; e <= hi; e++) {
      mults.forEach(function (m) {
        var v = m * Math.pow(10, e);
        if (v >= a * (1 - 1e-9) && v <= b * (1 + 1e-9)) ticks.push(v);
      });
    }
    return ticks;
  }

  function defaultFormat(v) {
    if (Math.abs(v) >= 10000) return Math.round(v).toLocaleString("en");
    return String(Math.round(v * 1000) / 1000);
  }

  /** A short sample of a series' line style, for legends (an inline SVG). */
  function swatch(className, dash, options) {
    options = options || {};
    var box = element("span", "memo-swatch");
    box.setAttribute("aria-hidden", "true");
    var s = svg("svg", { viewBox: "0 0 26 10", preserveAspectRatio: "none" }, box);
    svg("line", {
      x1: 1, x2: 25, y1: 5, y2: 5,
      class: "memo-series " + (className || "") + (options.thin ? " memo-thin" : "") + (options.faded ? " memo-faded" : ""),
      "stroke-dasharray": dash || null,
    }, s);
    if (options.markers) svg("circle", { cx: 13, cy: 5, r: 2.6, class: "memo-marker " + (className || "") }, s);
    return box;
  }

  function create(container, options) {
    options = options || {};
    var wrap = element("div", "memo-chart");
    container.appendChild(wrap);
    var root = svg("svg", { role: "img", tabindex: "0" }, wrap);
    var tooltip = element("div", "memo-tooltip");
    tooltip.hidden = true;
    wrap.appendChild(tooltip);
    var series = [];
    var geometry = null;
    var hoverX = null;
    var chart = { element: wrap, svg: root };

    chart.set = function (changes) {
      for (var k in changes) options[k] = changes[k];
    };

    function domainOf(axis) {
      var lo = Infinity;
      var hi = -Infinity;
      series.forEach(function (s) {
        s.points.forEach(function (p) {
          var v = p[axis];
          if (v == null || !isFinite(v)) return;
          if (axis === 0 && options.xLog && !(v > 0)) return;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        });
      });
      if (!isFinite(lo)) return [0, 1];
      return [lo, hi];
    }

    chart.draw = function (list) {
      if (list) series = list;
      var width = Math.max(280, Math.min(1000, wrap.clientWidth || container.clientWidth || 640));
      var height = options.height || Math.round(Math.max(220, Math.min(340, width * 0.55)));
      var m = { left: width < 480 ? 46 : 56, right: 14, top: 12, bottom: 44 };
      var xd = options.xDomain ? options.xDomain.slice() : domainOf(0);
      var yd = options.yDomain ? options.yDomain.slice() : domainOf(1);
      if (options.xLog) {
        xd[0] = Math.max(xd[0], 1e-9);
        if (!(xd[1] > xd[0])) xd[1] = xd[0] * 10;
      } else {
        if (options.xZero && xd[0] > 0 && xd[0] < 0.2 * xd[1]) xd[0] = 0;
        if (xd[1] === xd[0]) xd[1] = xd[0] + 1;
      }
      if (yd[1] === yd[0]) yd[1] = yd[0] + 1;
      if (!options.yDomain) {
        var pad = (yd[1] - yd[0]) * 0.04;
        yd = [yd[0] - pad, yd[1] + pad];
      }
      var plotW = width - m.left - m.right;
      var plotH = height - m.top - m.bottom;
      var sx = options.xLog
        ? function (v) {
            return m.left + ((Math.log10(Math.max(v, xd[0])) - Math.log10(xd[0])) / (Math.log10(xd[1]) - Math.log10(xd[0]))) * plotW;
          }
        : function (v) {
            return m.left + ((v - xd[0]) / (xd[1] - xd[0])) * plotW;
          };
      var sy = function (v) {
        return m.top + (1 - (v - yd[0]) / (yd[1] - yd[0])) * plotH;
      };
      geometry = { sx: sx, sy: sy, m: m, width: width, height: height, xd: xd, yd: yd, plotW: plotW, plotH: plotH };
      var xFormat = options.xFormat || defaultFormat;
      var yFormat = options.yFormat || defaultFormat;

      root.textContent = "";
      root.setAttribute("viewBox", "0 0 " + width + " " + height);
      root.setAttribute("width", width);
      root.setAttribute("height", height);
      if (options.label) {
        svg("title", {}, root).textContent = options.label;
        root.setAttribute("aria-label", options.label);
      }
      var clipId = "memo-clip-" + Math.random().toString(36).slice(2);
      var clip = svg("clipPath", { id: clipId }, svg("defs", {}, root));
      svg("rect", { x: m.left - 3, y: m.top - 3, width: plotW + 6, height: plotH + 6 }, clip);

      var grid = svg("g", { class: "memo-grid" }, root);
      var axis = svg("g", { class: "memo-axis" }, root);
      var xticks = options.xLog ? logTicks(xd[0], xd[1]) : linearTicks(xd[0], xd[1], Math.max(3, Math.floor(plotW / 80)));
      if (options.xInteger) xticks = xticks.filter(function (v) { return Math.round(v) === v; });
      var yticks = linearTicks(yd[0], yd[1], Math.max(3, Math.floor(plotH / 45)));
      xticks.forEach(function (v) {
        var x = sx(v);
        svg("line", { x1: x, x2: x, y1: m.top, y2: m.top + plotH }, grid);
        var t = svg("text", { x: x, y: m.top + plotH + 16, "text-anchor": "middle" }, axis);
        t.textContent = xFormat(v);
      });
      yticks.forEach(function (v) {
        var y = sy(v);
        svg("line", { x1: m.left, x2: m.left + plotW, y1: y, y2: y }, grid);
        var t = svg("text", { x: m.left - 6, y: y + 4, "text-anchor": "end" }, axis);
        t.textContent = yFormat(v);
      });
      svg("line", { x1: m.left, x2: m.left + plotW, y1: m.top + plotH, y2: m.top + plotH }, axis);
      svg("line", { x1: m.left, x2: m.left, y1: m.top, y2: m.top + plotH }, axis);
      if (options.xLabel) {
        var xl = svg("text", { x: m.left + plotW / 2, y: height - 6, "text-anchor": "middle", class: "memo-axis-title" }, axis);
        xl.textContent = width < 520 && options.xLabelShort ? options.xLabelShort : options.xLabel;
      }
      if (options.yLabel) {
        var yl = svg("text", {
          x: 0, y: 0, "text-anchor": "middle", class: "memo-axis-title",
          transform: "translate(12," + (m.top + plotH / 2) + ") rotate(-90)",
        }, axis);
        yl.textContent = options.yLabel;
      }

      var lines = svg("g", { "clip-path": "url(#" + clipId + ")" }, root);
      series.forEach(function (s) {
        var d = "";
        var pen = false;
        s.points.forEach(function (p) {
          if (p[1] == null || !isFinite(p[1]) || (options.xLog && !(p[0] > 0))) {
            pen = false;
            return;
          }
          d += (pen ? "L" : "M") + sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1);
          pen = true;
        });
        var cls = "memo-series " + (s.className || "") + (s.thin ? " memo-thin" : "") + (s.faded ? " memo-faded" : "");
        svg("path", { d: d, class: cls, "stroke-dasharray": s.dash || null, "data-series": s.id }, lines);
        if (s.markers) {
          s.points.forEach(function (p) {
            if (p[1] == null || (options.xLog && !(p[0] > 0))) return;
            svg("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 2.6, class: "memo-marker " + (s.className || "") }, lines);
          });
        }
      });
      chart.guide = svg("line", { class: "memo-guide", y1: m.top, y2: m.top + plotH, x1: -10, x2: -10 }, root);
      chart.dots = svg("g", {}, root);
      if (hoverX != null) show(hoverX);
    };

    /** The point of a series nearest to x (in pixels): within 24 px, or anywhere inside the series' x-range
     * (a sparse series, such as a validation loss measured every few hundred steps, still shows its value). */
    function nearest(points, x) {
      var best = null;
      var bestD = Infinity;
      var lo = Infinity;
      var hi = -Infinity;
      for (var i = 0; i < points.length; i++) {
        var p = points[i];
        if (p[1] == null || !isFinite(p[1])) continue;
        if (options.xLog && !(p[0] > 0)) continue;
        if (p[0] < lo) lo = p[0];
        if (p[0] > hi) hi = p[0];
        var d = Math.abs(geometry.sx(p[0]) - geometry.sx(x));
        if (d < bestD) {
          bestD = d;
          best = p;
        }
      }
      return bestD <= 24 || (x >= lo && x <= hi) ? best : null;
    }

    /** Every x of the drawn series, sorted (for the arrow keys). */
    function allX() {
      var seen = {};
      var xs = [];
      series.forEach(function (s) {
        s.points.forEach(function (p) {
          if (p[1] == null || seen[p[0]]) return;
          if (options.xLog && !(p[0] > 0)) return;
          seen[p[0]] = true;
          xs.push(p[0]);
        });
      });
      return xs.sort(function (a, b) {
        return a - b;
      });
    }

    function show(x) {
      if (!geometry) return;
      hoverX = x;
      var rows = [];
      chart.dots.textContent = "";
      var anchor = null;
      series.forEach(function (s) {
        if (s.noTooltip) return;
        var p = nearest(s.points, x);
        if (!p) return;
        if (anchor === null || Math.abs(p[0] - x) < Math.abs(anchor - x)) anchor = p[0];
        rows.push({ s: s, p: p });
        svg("circle", { cx: geometry.sx(p[0]), cy: geometry.sy(p[1]), r: 3.5, class: "memo-marker " + (s.className || "") }, chart.dots);
      });
      if (!rows.length) {
        hide();
        return;
      }
      var gx = geometry.sx(anchor);
      chart.guide.setAttribute("x1", gx);
      chart.guide.setAttribute("x2", gx);
      tooltip.textContent = "";
      var xFormat = options.tooltipX || options.xFormat || defaultFormat;
      tooltip.appendChild(element("div", "memo-tooltip-title", (options.xName ? options.xName + " " : "") + xFormat(anchor)));
      var table = element("table");
      rows.forEach(function (r) {
        var tr = element("tr");
        var name = element("td");
        name.appendChild(swatch(r.s.className, r.s.dash, { thin: r.s.thin, markers: r.s.markers, faded: r.s.faded }));
        name.appendChild(document.createTextNode(r.s.label));
        tr.appendChild(name);
        var different = Math.abs(geometry.sx(r.p[0]) - gx) > 1;
        tr.appendChild(
          element("td", null, (options.tooltipY || options.yFormat || defaultFormat)(r.p[1]) + (different ? " (at " + xFormat(r.p[0]) + ")" : ""))
        );
        table.appendChild(tr);
      });
      tooltip.appendChild(table);
      tooltip.hidden = false;
      var box = wrap.getBoundingClientRect();
      var scale = box.width / geometry.width || 1;
      var left = gx * scale + 12;
      if (left + tooltip.offsetWidth > box.width) left = Math.max(0, gx * scale - 12 - tooltip.offsetWidth);
      tooltip.style.left = left + "px";
      tooltip.style.top = geometry.m.top * scale + 4 + "px";
      wrap.setAttribute("data-hover", String(anchor));
    }

    function hide() {
      hoverX = null;
      tooltip.hidden = true;
      if (chart.guide) {
        chart.guide.setAttribute("x1", -10);
        chart.guide.setAttribute("x2", -10);
      }
      if (chart.dots) chart.dots.textContent = "";
      wrap.removeAttribute("data-hover");
    }
    chart.show = show;
    chart.hide = hide;

    function pointerX(event) {
      var box = root.getBoundingClientRect();
      var px = ((event.clientX - box.left) / box.width) * geometry.width;
      var m = geometry.m;
      if (px < m.left - 10 || px > m.left + geometry.plotW + 10) return null;
      var f = (px - m.left) / geometry.plotW;
      if (options.xLog) {
        var l0 = Math.log10(geometry.xd[0]);
        return Math.pow(10, l0 + f * (Math.log10(geometry.xd[1]) - l0));
      }
      return geometry.xd[0] + f * (geometry.xd[1] - geometry.xd[0]);
    }
    root.addEventListener("pointermove", function (event) {
      if (!geometry) return;
      var x = pointerX(event);
      if (x == null) hide();
      else show(x);
    });
    root.addEventListener("pointerleave", function (event) {
      if (event.pointerType === "mouse") hide();
    });
    root.addEventListener("keydown", function (event) {
      var xs = allX();
      if (!xs.length) return;
      var i = -1;
      if (hoverX != null) {
        var best = Infinity;
        xs.forEach(function (x, k) {
          var d = Math.abs(geometry.sx(x) - geometry.sx(hoverX));
          if (d < best) {
            best = d;
            i = k;
          }
        });
      }
      var step = event.shiftKey ? Math.max(1, Math.round(xs.length / 10)) : 1;
      if (event.key === "ArrowRight") i = i < 0 ? 0 : Math.min(xs.length - 1, i + step);
      else if (event.key === "ArrowLeft") i = i < 0 ? xs.length - 1 : Math.max(0, i - step);
      else if (event.key === "Home") i = 0;
      else if (event.key === "End") i = xs.length - 1;
      else if (event.key === "Escape") {
        hide();
        return;
      } else return;
      event.preventDefault();
      show(xs[i]);
    });
    root.addEventListener("blur", hide);

    Memo.onWidthChange(wrap, function () {
      if (geometry) chart.draw();
    });
    return chart;
  }

  /** A toggle button (aria-pressed) that calls onChange(pressed). */
  function toggle(label, pressed, onChange, className) {
    var b = Memo.button("memo-toggle" + (className ? " " + className : ""));
    if (typeof label === "string") b.textContent = label;
    else b.appendChild(label);
    b.setAttribute("aria-pressed", String(!!pressed));
    b.addEventListener("click", function () {
      var now = b.getAttribute("aria-pressed") !== "true";
      b.setAttribute("aria-pressed", String(now));
      onChange(now, b);
    });
    return b;
  }

  /** A row of toggles, one of them pressed at a time (radio-like buttons). */
  function choice(labelText, entries, current, onChange) {
    var bar = Memo.toggleRow(labelText, labelText + ":");
    var buttons = entries.map(function (entry) {
      var b = Memo.button("memo-choice", entry.label);
      b.setAttribute("data-value", entry.value);
      b.setAttribute("aria-pressed", String(entry.value === current));
      b.addEventListener("click", function () {
        buttons.forEach(function (other) {
          other.setAttribute("aria-pressed", String(other === b));
        });
        onChange(entry.value);
      });
      bar.appendChild(b);
      return b;
    });
    return bar;
  }

  /** A legend entry: text after a swatch (className, dash, options as for swatch), in a span. */
  function swatchLabel(text, className, dash, options) {
    var label = element("span");
    label.appendChild(swatch(className, dash, options));
    label.appendChild(document.createTextNode(text));
    return label;
  }

  /** The "models:" row: a toggle per model ({key, name}, pressed at first) with its colour's swatch;
   * onChange(key, pressed). */
  function modelToggles(models, onChange) {
    var row = Memo.toggleRow("models", "models:");
    models.forEach(function (m, i) {
      var b = toggle(swatchLabel(m.name || m.key, colourClass(m.key, i)), true, function (on) {
        onChange(m.key, on);
      });
      b.setAttribute("data-model", m.key);
      row.appendChild(b);
    });
    return row;
  }

  /** The start of a chart figure: its body (memo-fig, data-state "loading"), its data-src (or defaultSrc)
   * and `loaded`, a Promise of [that file's JSON, data/published.json's or null where it is missing]. */
  function begin(figure, defaultSrc) {
    var body = figure.querySelector(".figure-body");
    body.classList.add("memo-fig"); // figures.css styles only bodies with this class
    var src = figure.getAttribute("data-src") || defaultSrc;
    body.setAttribute("data-state", "loading");
    var loaded = Promise.all([
      Memo.load(src),
      Memo.load("data/published.json").catch(function () {
        return null;
      }),
    ]);
    return { body: body, src: src, loaded: loaded };
  }

  Memo.LineChart = {
    create: create,
    swatch: swatch,
    swatchLabel: swatchLabel,
    toggle: toggle,
    choice: choice,
    modelToggles: modelToggles,
    colourClass: colourClass,
    begin: begin,
    linearTicks: linearTicks,
  };
})();
