/* 70-chart.js: Memo.LineChart, the small SVG line chart that accuracy.js and curves.js draw with, and
 * what the chart figures share. It defines helpers only, which the figures use inside their init functions.
 *
 *   var chart = Memo.LineChart.create(container, {xLabel, yLabel, height, xLog, yLog, xFormat, yFormat,
 *                                                 xDomain, yDomain, xInteger, xZero, xLabelShort, label,
 *                                                 xTicks});
 *   xTicks(lo, hi, count, log) -> the x values to tick (default: round decimal values), for an axis whose
 *   round values are not decimal (time: 10 s, 1 min, 10 min, 1 h)
 *   chart.draw(series)   series: [{id, label, className, points: [[x, y], ...], dash, thin, faded,
 *                                  markers, end, hover, band: [[x, low, high], ...]}]; y null = a gap; a
 *                                  band (an interval around the line) is filled in the series' colour;
 *                                  end: a filled dot at the last point; hover false: left out of the tooltip
 *   options.tooltipRow(series, point, band) -> a tooltip row's value text (default: y, its band, its x)
 *   chart.set(options)   change options (then draw again)
 * Draws at the container's width (redrawn when it changes), a tooltip (textContent only) for the point
 * nearest the pointer or, with the chart focused, the arrow keys.
 * Also what the chart figures share: begin(figure, defaultSrc) (the body, data-src, the data and
 * data/published.json), swatch and swatchLabel (legend entries), toggle, choice and modelToggles
 * (controls), added by 72-chart-controls.js. A model's series take its colour class, Memo.colourClass
 * (50-colours.js).
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  var svg = Memo.svg;
  var element = Memo.element;

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

  /** Powers of ten covering [a, b] (with 2 and 5 between when the range is two decades or less), at
   * most `most` of them: over many decades every second or third power. */
  function logTicks(a, b, most) {
    var ticks = [];
    var lo = Math.floor(Math.log10(a) + 1e-9);
    var hi = Math.ceil(Math.log10(b) - 1e-9);
    var mults = hi - lo <= 2 ? [1, 2, 5] : [1];
    var every = most ? Math.max(1, Math.ceil((hi - lo + 1) / most)) : 1;
    var top = Math.floor(Math.log10(b) + 1e-9); // the largest power within the range is always ticked
    for (var e = lo; e <= hi; e++) {
      if (mults.length === 1 && (((top - e) % every) + every) % every !== 0) continue;
      mults.forEach(function (m) {
        var v = m * Math.pow(10, e);
        if (v >= a * (1 - 1e-9) && v <= b * (1 + 1e-9)) ticks.push(v);
      });
    }
    return ticks;
  }

  var SUPERSCRIPT = { "-": "\u207b", 0: "\u2070", 1: "\u00b9", 2: "\u00b2", 3: "\u00b3", 4: "\u2074", 5: "\u2075", 6: "\u2076", 7: "\u2077", 8: "\u2078", 9: "\u2079" };

  /** A share as an axis tick says it: "50%", "2.5%", "0.1%", "0.001%", and below that "10⁻⁵%" (a
   * power of ten) or "3×10⁻⁶%"; never more digits than the value has. */
  function percentTick(v) {
    var p = v * 100;
    if (p === 0) return "0%";
    if (Math.abs(p) >= 0.001) return String(Number(p.toPrecision(3))) + "%";
    var e = Math.floor(Math.log10(Math.abs(p)) + 1e-9);
    var m = Number((p / Math.pow(10, e)).toPrecision(2));
    var power = "10" + String(e).split("").map(function (c) { return SUPERSCRIPT[c]; }).join("");
    return (m === 1 ? "" : m + "\u00d7") + power + "%";
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

  /** A series' band: the area between its low and high values, one closed path per unbroken run. */
  function drawBand(s, parent, sx, sy, drawable) {
    var runs = [[]];
    s.band.forEach(function (p) {
      if (drawable(p[0], p[1]) && drawable(p[0], p[2])) runs[runs.length - 1].push(p);
      else if (runs[runs.length - 1].length) runs.push([]);
    });
    var d = runs
      .filter(function (run) {
        return run.length > 1;
      })
      .map(function (run) {
        var top = run.map(function (p) {
          return sx(p[0]).toFixed(1) + "," + sy(p[2]).toFixed(1);
        });
        var bottom = run
          .slice()
          .reverse()
          .map(function (p) {
            return sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1);
          });
        return "M" + top.join("L") + "L" + bottom.join("L") + "Z";
      })
      .join("");
    if (d) svg("path", { d: d, class: "memo-band " + (s.className || ""), "data-band": s.id }, parent);
  }

  function create(container, options) {
    options = options || {};
    var wrap = element("div", "memo-chart");
    container.appendChild(wrap);
    var root = svg("svg", { role: "img", tabindex: "0" }, wrap);
    // What the lines show, in numbers, for screen readers: each series' first and last value.
    var summary = element("p", "memo-summary visually-hidden");
    summary.id = "memo-chart-summary-" + Math.random().toString(36).slice(2);
    root.setAttribute("aria-describedby", summary.id);
    wrap.appendChild(summary);
    var tooltip = element("div", "memo-tooltip");
    tooltip.hidden = true;
    wrap.appendChild(tooltip);
    // What 71-chart-hover.js reads too: the options (chart.set changes them), the series drawn, their
    // geometry (scales and margins; null before the first draw) and the x the tooltip shows (null: none).
    var chart = { element: wrap, svg: root, tooltip: tooltip, options: options, series: [], geometry: null, hoverX: null };

    chart.set = function (changes) {
      for (var k in changes) options[k] = changes[k];
    };

    function domainOf(axis) {
      var lo = Infinity;
      var hi = -Infinity;
      chart.series.forEach(function (s) {
        s.points.forEach(function (p) {
          var v = p[axis];
          if (v == null || !isFinite(v)) return;
          if (axis === 0 && options.xLog && !(v > 0)) return;
          if (axis === 1 && options.yLog && !(v > 0)) return;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        });
      });
      if (!isFinite(lo)) return [0, 1];
      return [lo, hi];
    }

    chart.draw = function (list) {
      if (list) chart.series = list;
      var width = Math.max(280, Math.min(1000, wrap.clientWidth || container.clientWidth || 640));
      var height = options.height || Math.round(Math.max(220, Math.min(340, width * 0.55)));
      var m = { left: width < 480 ? 46 : 56, right: 14, top: 12, bottom: 44 };
      var plotH = height - m.top - m.bottom;
      var xd = options.xDomain ? options.xDomain.slice() : domainOf(0);
      var yd = options.yDomain ? options.yDomain.slice() : domainOf(1);
      if (options.xLog) {
        xd[0] = Math.max(xd[0], 1e-9);
        if (!(xd[1] > xd[0])) xd[1] = xd[0] * 10;
      } else {
        if (options.xZero && xd[0] > 0 && xd[0] < 0.2 * xd[1]) xd[0] = 0;
        if (xd[1] === xd[0]) xd[1] = xd[0] + 1;
      }
      if (options.yLog) {
        if (!(yd[0] > 0)) yd[0] = Math.min(1e-9, yd[1] / 10); // a log axis starts above 0, wherever the data do
        if (!(yd[1] > yd[0])) yd[1] = yd[0] * 10;
      } else if (yd[1] === yd[0]) yd[1] = yd[0] + 1;
      if (!options.yDomain && !options.yLog) {
        var pad = (yd[1] - yd[0]) * 0.04;
        yd = [yd[0] - pad, yd[1] + pad];
      }
      var yFormat = options.yFormat || defaultFormat;
      var yticks = options.yLog ? logTicks(yd[0], yd[1], Math.max(3, Math.floor(plotH / 24))) : linearTicks(yd[0], yd[1], Math.max(3, Math.floor(plotH / 45)));
      // room for the longest tick label (11 px text, about 6.2 px a character) and, left of it, the
      // axis title (12 px, rotated, at x 12): the two never overlap, however long the labels
      var longest = 0;
      yticks.forEach(function (v) {
        longest = Math.max(longest, String(yFormat(v)).length);
      });
      m.left = Math.max(m.left, Math.ceil(12 + 8 + 4 + longest * 6.2 + 6));
      var plotW = width - m.left - m.right;
      var sx = options.xLog
        ? function (v) {
            return m.left + ((Math.log10(Math.max(v, xd[0])) - Math.log10(xd[0])) / (Math.log10(xd[1]) - Math.log10(xd[0]))) * plotW;
          }
        : function (v) {
            return m.left + ((v - xd[0]) / (xd[1] - xd[0])) * plotW;
          };
      var sy = options.yLog
        ? function (v) {
            // below the axis' range the line runs on out of the plot, where the clip path cuts it
            var f = (Math.log10(v) - Math.log10(yd[0])) / (Math.log10(yd[1]) - Math.log10(yd[0]));
            return m.top + (1 - f) * plotH;
          }
        : function (v) {
            return m.top + (1 - (v - yd[0]) / (yd[1] - yd[0])) * plotH;
          };
      /** Whether point p can be drawn on these axes (a log axis has no place for 0 or less). */
      var drawable = function (x, y) {
        return y != null && isFinite(y) && !(options.xLog && !(x > 0)) && !(options.yLog && !(y > 0));
      };
      chart.geometry = { sx: sx, sy: sy, m: m, width: width, height: height, xd: xd, yd: yd, plotW: plotW, plotH: plotH };
      var xFormat = options.xFormat || defaultFormat;

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
      var xCount = Math.max(3, Math.floor(plotW / 80));
      var xticks = options.xTicks
        ? options.xTicks(xd[0], xd[1], xCount, !!options.xLog)
        : options.xLog
          ? logTicks(xd[0], xd[1])
          : linearTicks(xd[0], xd[1], xCount);
      if (options.xInteger) xticks = xticks.filter(function (v) { return Math.round(v) === v; });
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
      chart.series.forEach(function (s) {
        if (s.band) drawBand(s, lines, sx, sy, drawable);
      });
      chart.series.forEach(function (s) {
        var d = "";
        var pen = false;
        s.points.forEach(function (p) {
          if (!drawable(p[0], p[1])) {
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
            if (!drawable(p[0], p[1])) return;
            svg("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 2.6, class: "memo-marker " + (s.className || "") }, lines);
          });
        }
        if (s.end) {
          // the series' last drawable point, filled: where a line ends (a final model)
          var ends = s.points.filter(function (p) {
            return drawable(p[0], p[1]);
          });
          var last = ends[ends.length - 1];
          if (last) svg("circle", { cx: sx(last[0]), cy: sy(last[1]), r: 3.6, class: "memo-marker memo-end " + (s.className || "") + (s.faded ? " memo-faded" : ""), "data-end": s.id }, lines);
        }
      });
      summary.textContent = describe(chart.series);
      // the hover's guide line: hidden until the pointer or a key picks a point (71-chart-hover.js)
      chart.guide = svg("line", { class: "memo-guide", y1: m.top, y2: m.top + plotH, x1: 0, x2: 0, visibility: "hidden" }, root);
      chart.dots = svg("g", {}, root);
      if (chart.hoverX != null) chart.show(chart.hoverX);
    };

    /** "GRU, top-1: 2.1% at letters seen: 0, 45.3% at letters seen: 12." for every series drawn. */
    function describe(list) {
      var fx = options.tooltipX || options.xFormat || defaultFormat;
      var fy = options.tooltipY || options.yFormat || defaultFormat;
      var at = function (p) {
        return fy(p[1]) + " at " + (options.xName ? options.xName + " " : "") + fx(p[0]);
      };
      var lines = list.map(function (s) {
        var shown = s.points.filter(function (p) {
          return p[1] != null && isFinite(p[1]) && !(options.xLog && !(p[0] > 0)) && !(options.yLog && !(p[1] > 0));
        });
        if (!shown.length) return s.label + ": no values.";
        var first = shown[0];
        var last = shown[shown.length - 1];
        return s.label + ": " + at(first) + (shown.length > 1 ? ", " + at(last) : "") + ".";
      });
      return lines.length ? lines.join(" ") : "No series shown.";
    }

    Memo.LineChart.hover(chart); // 71-chart-hover.js
    // The figure's charts, whose series "Download data" writes (76-export.js).
    var figure = container.closest ? container.closest("figure") : null;
    if (figure) (figure.memoCharts = figure.memoCharts || []).push(chart);
    Memo.onWidthChange(wrap, function () {
      if (chart.geometry) chart.draw();
    });
    return chart;
  }

  Memo.LineChart = { create: create, swatch: swatch, defaultFormat: defaultFormat, percentTick: percentTick };
})();
