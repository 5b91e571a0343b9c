/* vanishing.js: the vanishing gradient (the original's figure 2), from data/vanishing.json:
 *   {"length": T, "units": U, "cases": [{"label", "scale", "values": [T numbers]}]}
 * values[t] = norm of the gradient that reaches the input at step t from the output at the last step,
 * divided by its largest value. Drawn as bars over an unrolled RNN whose cells are shaded the same way;
 * one case at a time (buttons), linear or logarithmic scale; hover, tap or arrow keys read a step.
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  var svg = Memo.svg;
  var H = 226;
  var LEFT = 52;
  var RIGHT = 14;
  var TOP = 14;
  var BARS = 118; // height of the bar area
  var CELL_Y = TOP + BARS + 34;

  function text(parent, x, y, value, attrs) {
    var node = svg("text", attrs || {}, parent);
    node.setAttribute("x", x);
    node.setAttribute("y", y);
    node.textContent = value;
    return node;
  }
  function share(v) {
    if (!(v > 0)) return "0";
    if (v >= 0.01) return String(Number((v * 100).toPrecision(3))) + "%";
    return v.toExponential(1).replace("e", "×10^").replace("^-", "^−");
  }

  /** The words all labels start with ("recurrent weights with spectral radius "), if any. */
  function commonPrefix(labels) {
    if (labels.length < 2) return "";
    var first = labels[0];
    var n = first.length;
    labels.forEach(function (l) {
      var i = 0;
      while (i < n && i < l.length && l[i] === first[i]) i++;
      n = i;
    });
    var cut = first.lastIndexOf(" ", n);
    return cut > 0 && n < first.length ? first.slice(0, cut + 1) : "";
  }

  Memo.register("vanishing", function (figure) {
    var body = figure.querySelector(".figure-body");
    body.classList.add("memo-fig"); // figures.css styles only bodies with this class
    var src = figure.getAttribute("data-src") || "data/vanishing.json";
    body.setAttribute("data-state", "loading");
    return Memo.load(src).then(function (data) {
      var cases = data.cases || [];
      if (!cases.length) throw new Error(src + " holds no cases");
      var T = data.length || cases[0].values.length;
      body.textContent = "";
      body.classList.add("memo-vanishing");

      var labels = cases.map(function (c) {
        return String(c.label || "scale " + c.scale);
      });
      var prefix = commonPrefix(labels);
      var controls = Memo.toggleRow(prefix ? prefix.trim() : "cases", prefix ? prefix.trim() + ":" : null);
      var caseButtons = labels.map(function (label, i) {
        var b = Memo.button("memo-case", prefix ? label.slice(prefix.length) : label);
        b.setAttribute("aria-pressed", "false");
        b.setAttribute("aria-label", label);
        b.addEventListener("click", function () {
          choose(i);
        });
        controls.appendChild(b);
        return b;
      });
      body.appendChild(controls);
      var scaleControls = Memo.toggleRow("bar scale", "bar height:");
      var scaleButtons = ["linear", "logarithmic"].map(function (name) {
        var b = Memo.button("memo-scale", name);
        b.setAttribute("data-scale", name);
        b.addEventListener("click", function () {
          logScale = name === "logarithmic";
          draw();
          Memo.saveState(figure);
        });
        scaleControls.appendChild(b);
        return b;
      });
      body.appendChild(scaleControls);

      var root = svg("svg", { role: "img", tabindex: "0" });
      body.appendChild(root);
      var readout = Memo.element("p", "memo-vanishing-readout");
      readout.setAttribute("aria-live", "polite");
      body.appendChild(readout);
      if (data.units) {
        body.appendChild(
          Memo.element(
            "p",
            "memo-chart-note",
            "A vanilla RNN (tanh, " + data.units + " units) with random recurrent weights, unrolled over " + T +
              " steps; each bar is the size of the gradient that reaches that step’s input from the output at the " +
              "last step, as a share of the largest. The cells below are shaded on the same scale as the " +
              "connectivity figures."
          )
        );
      }

      var smallest = 1;
      cases.forEach(function (c) {
        c.values.forEach(function (v) {
          if (v > 0 && v < smallest) smallest = v;
        });
      });
      var logFloor = Math.min(-1, Math.max(-12, Math.floor(Math.log10(smallest))));
      var current = 0;
      var active = T - 1;
      var logScale = false;
      var W = 640;
      var steps = [];
      (function () {
        var best = -1;
        cases.forEach(function (c, i) {
          if (c.scale < 1 && (best < 0 || c.scale > cases[best].scale)) best = i;
        });
        current = best >= 0 ? best : 0;
      })();
      // A link to this figure (#vanishing?radius=1.5&scale=log) opens it on that case and bar scale.
      var radii = cases.map(function (c) {
        return String(c.scale);
      });
      var linked = Memo.linkedState(figure, { radius: Memo.linkChoice(radii), scale: Memo.linkChoice(["linear", "log"]) });
      if (linked.radius) current = radii.indexOf(linked.radius);
      logScale = linked.scale === "log";
      Memo.keepState(figure, function () {
        return { radius: radii[current], scale: logScale ? "log" : "linear" };
      });

      function y(v) {
        var f;
        if (logScale) f = v > 0 ? Math.max(0, (Math.log10(v) - logFloor) / -logFloor) : 0;
        else f = Math.max(0, Math.min(1, v));
        return TOP + BARS * (1 - f);
      }

      function superscript(n) {
        var map = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
        return String(n)
          .split("")
          .map(function (ch) {
            return map[ch] || ch;
          })
          .join("");
      }

      function summary(c) {
        var back = Math.min(10, T - 1);
        return "the input " + back + " steps before the output gets " + share(c.values[T - 1 - back]) +
          " of the largest gradient, the first input " + share(c.values[0]) + ".";
      }

      /** Redraw everything at the body's width (text stays the same size on a phone and a desktop). */
      function draw() {
        W = Math.max(300, Math.min(900, body.clientWidth || 640));
        var left = W < 480 ? 44 : LEFT;
        var step = (W - left - RIGHT) / T;
        var x = function (t) {
          return left + (t + 0.5) * step;
        };
        var c = cases[current];
        caseButtons.forEach(function (b, i) {
          b.setAttribute("aria-pressed", String(i === current));
        });
        scaleButtons.forEach(function (b) {
          b.setAttribute("aria-pressed", String((b.getAttribute("data-scale") === "logarithmic") === logScale));
        });
        root.textContent = "";
        root.setAttribute("viewBox", "0 0 " + W + " " + H);
        root.setAttribute("width", W);
        var label = labels[current];
        var title = svg("title", {}, root);
        title.textContent = "Vanishing gradient, " + label + ": " + summary(c);
        root.setAttribute("aria-label", title.textContent);
        var grid = svg("g", { class: "memo-grid" }, root);
        var axis = svg("g", { class: "memo-axis" }, root);
        var bars = svg("g", {}, root);
        var cells = svg("g", {}, root);
        var ticks = [0, 0.25, 0.5, 0.75, 1];
        if (logScale) {
          ticks = [];
          var every = Math.max(1, Math.ceil(-logFloor / 4));
          for (var e = 0; e >= logFloor; e -= every) ticks.push(Math.pow(10, e));
        }
        ticks.forEach(function (v) {
          var yy = y(v);
          svg("line", { x1: left, x2: W - RIGHT, y1: yy, y2: yy }, grid);
          var name = logScale ? (v === 1 ? "1" : "10" + superscript(Math.round(Math.log10(v)))) : String(v);
          text(axis, left - 5, yy + 4, name, { "text-anchor": "end" });
        });
        svg("line", { x1: left, x2: left, y1: TOP, y2: TOP + BARS }, axis);
        svg("line", { x1: left, x2: W - RIGHT, y1: TOP + BARS, y2: TOP + BARS }, axis);
        text(axis, 0, 0, "gradient", {
          class: "memo-axis-title",
          "text-anchor": "middle",
          transform: "translate(11," + (TOP + BARS / 2) + ") rotate(-90)",
        });
        var every5 = step < 14 ? 10 : 5;
        for (var t = 0; t < T; t += every5) {
          if (T - 1 - t >= every5 / 2) text(axis, x(t), CELL_Y + 28, String(t), { "text-anchor": "middle" });
        }
        text(axis, x(T - 1), CELL_Y + 28, String(T - 1), { "text-anchor": "middle" });
        text(axis, left + (W - left - RIGHT) / 2, CELL_Y + 48, "time step of the input (output at step " + (T - 1) + ")", {
          class: "memo-axis-title",
          "text-anchor": "middle",
        });
        steps = [];
        var r = Math.min(step * 0.36, 9);
        for (var s = 0; s < T; s++) {
          var v = c.values[s] || 0;
          var top = y(v);
          var group = svg("g", { class: "memo-step", "data-step": String(s), "data-value": String(v) }, cells);
          svg(
            "rect",
            {
              class: "memo-step-bar",
              x: x(s) - step * 0.36,
              width: step * 0.72,
              y: top,
              height: Math.max(0, TOP + BARS - top),
              fill: Memo.colour(v),
            },
            bars
          );
          if (s > 0) svg("line", { class: "memo-link", x1: x(s - 1) + r, x2: x(s) - r, y1: CELL_Y, y2: CELL_Y }, group);
          svg("circle", { class: "memo-cell" + (s === T - 1 ? " memo-output" : ""), cx: x(s), cy: CELL_Y, r: r, fill: Memo.colour(v) }, group);
          var hit = svg("rect", { x: x(s) - step / 2, width: step, y: TOP, height: CELL_Y + 12 - TOP, fill: "transparent" }, group);
          svg("title", {}, hit).textContent = "step " + s + ": " + share(v);
          (function (s) {
            hit.addEventListener("pointerover", function () {
              read(s);
            });
            hit.addEventListener("click", function () {
              read(s);
            });
          })(s);
          steps.push(group);
        }
        text(cells, x(T - 1) + r, CELL_Y - 13, "output", { "text-anchor": "end", class: "memo-axis-title" });
        read(active);
      }

      function read(t) {
        active = Math.max(0, Math.min(T - 1, t));
        steps.forEach(function (g, i) {
          g.classList.toggle("memo-active", i === active);
        });
        var v = cases[current].values[active] || 0;
        var back = T - 1 - active;
        readout.textContent =
          "Step " + active + (back ? " (" + back + " step" + (back === 1 ? "" : "s") + " before the output)" : " (the output step)") +
          ": " + share(v) + " of the largest gradient.";
      }

      root.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowLeft") next = active - 1;
        else if (event.key === "ArrowRight") next = active + 1;
        else if (event.key === "Home") next = 0;
        else if (event.key === "End") next = T - 1;
        if (next === null) return;
        event.preventDefault();
        read(next);
      });
      Memo.onWidthChange(body, draw);

      function choose(i) {
        current = i;
        draw();
        Memo.saveState(figure);
      }
      draw();
      body.setAttribute("data-state", "ready");
    });
  });
})();
