/* 71-chart-hover.js: reading a Memo.LineChart (70-chart.js): a tooltip with each series' value at the x
 * nearest the pointer, or, with the chart focused, at the x the arrow keys (Home, End; Shift for tenths)
 * move to; Escape and blur hide it. Memo.LineChart.hover(chart) wires it when the chart is created and
 * adds chart.show(x) and chart.hide().
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  var svg = Memo.svg;
  var element = Memo.element;

  Memo.LineChart.hover = function (chart) {
    var options = chart.options;
    var tooltip = chart.tooltip;
    var wrap = chart.element;
    var root = chart.svg;
    var swatch = Memo.LineChart.swatch;
    var defaultFormat = Memo.LineChart.defaultFormat;

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
        if (options.yLog && !(p[1] > 0)) continue;
        if (p[0] < lo) lo = p[0];
        if (p[0] > hi) hi = p[0];
        var d = Math.abs(chart.geometry.sx(p[0]) - chart.geometry.sx(x));
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
      chart.series.forEach(function (s) {
        if (s.hover === false) return;
        s.points.forEach(function (p) {
          if (p[1] == null || seen[p[0]]) return;
          if (options.xLog && !(p[0] > 0)) return;
          if (options.yLog && !(p[1] > 0)) return;
          seen[p[0]] = true;
          xs.push(p[0]);
        });
      });
      return xs.sort(function (a, b) {
        return a - b;
      });
    }

    function show(x) {
      if (!chart.geometry) return;
      chart.hoverX = x;
      var rows = [];
      chart.dots.textContent = "";
      var anchor = null;
      chart.series.forEach(function (s) {
        if (s.hover === false) return;
        var p = nearest(s.points, x);
        if (!p) return;
        if (anchor === null || Math.abs(p[0] - x) < Math.abs(anchor - x)) anchor = p[0];
        rows.push({ s: s, p: p });
        svg("circle", { cx: chart.geometry.sx(p[0]), cy: chart.geometry.sy(p[1]), r: 3.5, class: "memo-marker " + (s.className || "") }, chart.dots);
      });
      if (!rows.length) {
        hide();
        return;
      }
      var gx = chart.geometry.sx(anchor);
      chart.guide.setAttribute("x1", gx);
      chart.guide.setAttribute("x2", gx);
      chart.guide.setAttribute("visibility", "visible");
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
        var different = Math.abs(chart.geometry.sx(r.p[0]) - gx) > 1;
        var yFormat = options.tooltipY || options.yFormat || defaultFormat;
        var band = (r.s.band || []).filter(function (b) {
          return b[0] === r.p[0] && b[1] != null && b[2] != null;
        })[0];
        tr.appendChild(
          element(
            "td",
            null,
            options.tooltipRow
              ? options.tooltipRow(r.s, r.p, band)
              : yFormat(r.p[1]) + (band ? " (" + yFormat(band[1]) + " to " + yFormat(band[2]) + ")" : "") +
                  (different ? " (at " + xFormat(r.p[0]) + ")" : "")
          )
        );
        table.appendChild(tr);
      });
      tooltip.appendChild(table);
      tooltip.hidden = false;
      var box = wrap.getBoundingClientRect();
      var scale = box.width / chart.geometry.width || 1;
      var left = gx * scale + 12;
      if (left + tooltip.offsetWidth > box.width) left = Math.max(0, gx * scale - 12 - tooltip.offsetWidth);
      tooltip.style.left = left + "px";
      tooltip.style.top = chart.geometry.m.top * scale + 4 + "px";
      wrap.setAttribute("data-hover", String(anchor));
    }

    function hide() {
      chart.hoverX = null;
      tooltip.hidden = true;
      if (chart.guide) chart.guide.setAttribute("visibility", "hidden");
      if (chart.dots) chart.dots.textContent = "";
      wrap.removeAttribute("data-hover");
    }
    chart.show = show;
    chart.hide = hide;

    function pointerX(event) {
      var box = root.getBoundingClientRect();
      var px = ((event.clientX - box.left) / box.width) * chart.geometry.width;
      var m = chart.geometry.m;
      if (px < m.left - 10 || px > m.left + chart.geometry.plotW + 10) return null;
      var f = (px - m.left) / chart.geometry.plotW;
      if (options.xLog) {
        var l0 = Math.log10(chart.geometry.xd[0]);
        return Math.pow(10, l0 + f * (Math.log10(chart.geometry.xd[1]) - l0));
      }
      return chart.geometry.xd[0] + f * (chart.geometry.xd[1] - chart.geometry.xd[0]);
    }
    root.addEventListener("pointermove", function (event) {
      if (!chart.geometry) return;
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
      if (chart.hoverX != null) {
        var best = Infinity;
        xs.forEach(function (x, k) {
          var d = Math.abs(chart.geometry.sx(x) - chart.geometry.sx(chart.hoverX));
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
  };
})();
