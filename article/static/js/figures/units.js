/* units.js: the recurrent unit of each model of the manifest, with a selector (the original's figure 3).
 * A unit it knows (the manifest's `unit`, else the model's key: nlstm, lstm, gru) is drawn as a diagram
 * from its equations; any other is named with the file that holds its equations, build/units/<unit>.py.
 * No data file. Option: data-unit (a model's key or unit, the one shown first; default the first model).
 *
 * Boxes are learned layers (σ: sigmoid, tanh, or linear), circles elementwise operations (×, +, 1−),
 * arrows the flow of one time step. The Nested LSTM is drawn as an LSTM whose memory update is an inner
 * LSTM: the inner cell takes x̃ = i ⊙ z as its input and h̃ = f ⊙ c^{t−1} as its previous hidden state,
 * keeps its own memory c̃, and its output is the outer memory c^t.
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  var svg = Memo.svg;
  var element = Memo.element;
  var counter = 0;

  /** A drawing surface: wires with arrowheads, gate boxes, operation circles, math labels. */
  function Drawing(viewBox, label) {
    var id = "memo-units-" + ++counter;
    var root = svg("svg", { viewBox: viewBox, role: "img", "aria-labelledby": id + "-title", class: "memo-units-diagram" });
    svg("title", { id: id + "-title" }, root).textContent = label;
    var defs = svg("defs", {}, root);
    var marker = svg(
      "marker",
      { id: id + "-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto" },
      defs
    );
    svg("path", { d: "M0,1 L10,5 L0,9 z", class: "memo-arrowhead" }, marker);
    var d = { root: root, layer: root };

    d.group = function (transform, className) {
      var g = svg("g", { transform: transform, class: className }, d.layer);
      var previous = d.layer;
      d.layer = g;
      return function () {
        d.layer = previous;
      };
    };
    d.wire = function (points, options) {
      options = options || {};
      var path = "M" + points.map(function (p) {
        return p[0] + "," + p[1];
      }).join(" L");
      if (options.halo) svg("path", { d: path, class: "memo-halo" }, d.layer);
      return svg("path", { d: path, class: "memo-wire", "marker-end": options.arrow === false ? null : "url(#" + id + "-arrow)" }, d.layer);
    };
    d.dot = function (x, y) {
      svg("circle", { cx: x, cy: y, r: 3, class: "memo-dot" }, d.layer);
    };
    /** A layer box at (cx, cy): kind sigma | tanh | linear; name (gate letter) beside its top. */
    d.box = function (cx, cy, kind, name, options) {
      options = options || {};
      var w = options.width || 50;
      var h = options.height || 34;
      svg("rect", { x: cx - w / 2, y: cy - h / 2, width: w, height: h, rx: 6, class: "memo-box-" + kind }, d.layer);
      var label = kind === "sigma" ? "σ" : kind === "tanh" ? "tanh" : "linear";
      var t = svg("text", { x: cx, y: cy, "text-anchor": "middle", "dominant-baseline": "central", class: kind === "sigma" ? "memo-math" : null }, d.layer);
      t.textContent = label;
      if (kind === "linear") t.setAttribute("class", "memo-small");
      if (name) {
        var n = svg("text", { x: cx + 8, y: cy - h / 2 - 8, class: "memo-gate-name" }, d.layer);
        n.textContent = name;
      }
    };
    d.op = function (cx, cy, symbol) {
      svg("circle", { cx: cx, cy: cy, r: 11, class: "memo-op" }, d.layer);
      var t = svg("text", { x: cx, y: cy + 0.5, class: "memo-op-text" }, d.layer);
      t.textContent = symbol;
      if (symbol.length > 1) t.setAttribute("style", "font-size: 11px");
    };
    /** An italic math label: base with an optional superscript, e.g. ("c", "t−1"). */
    d.math = function (x, y, base, sup, anchor) {
      var t = svg("text", { x: x, y: y, class: "memo-math", "text-anchor": anchor || "middle" }, d.layer);
      t.appendChild(document.createTextNode(base));
      if (sup) {
        var s = svg("tspan", { dy: -7, style: "font-size: 72%" }, t);
        s.textContent = sup;
      }
      return t;
    };
    d.note = function (x, y, value, anchor) {
      var t = svg("text", { x: x, y: y, class: "memo-small", "text-anchor": anchor || "middle" }, d.layer);
      t.textContent = value;
      return t;
    };
    d.frame = function (x, y, w, h) {
      svg("rect", { x: x, y: y, width: w, height: h, rx: 10, class: "memo-frame" }, d.layer);
    };
    return d;
  }

  var TILDE = "\u0303";

  /**
   * An LSTM in local coordinates 600 × 345: memory line on top, gates in a row, inputs on a bus below.
   * names: {c, h, x, tilde}: labels of the memory, hidden state and input (null: the caller draws them).
   */
  function drawLSTM(d, names) {
    var mark = names.tilde ? TILDE : "";
    var yc = 60;
    var yg = 230;
    var yb = 290;
    // memory line: c^{t-1} -> × f -> + -> c^t
    d.wire([[70, yc], [149, yc]]);
    d.op(160, yc, "×");
    d.wire([[171, yc], [294, yc]]);
    d.op(305, yc, "+");
    d.wire([[316, yc], [540, yc]]);
    if (names.c) {
      d.math(64, yc + 5, names.c, "t−1", "end");
      d.math(546, yc + 5, names.c, "t", "start");
    }
    // gates, fed from the bus
    d.box(160, yg, "sigma", "f" + mark);
    d.box(235, yg, "sigma", "i" + mark);
    d.box(305, yg, names.linearZ ? "linear" : "tanh", "z" + mark);
    d.box(390, yg, "sigma", "o" + mark);
    d.wire([[160, yg - 17], [160, yc + 11]]);
    d.wire([[235, yg - 17], [235, 140], [294, 140]]);
    d.op(305, 140, "×");
    d.wire([[305, yg - 17], [305, 151]]);
    d.wire([[305, 129], [305, yc + 11]]);
    // output: o × tanh(c)
    d.dot(450, yc);
    d.wire([[450, yc], [450, 108]]);
    d.box(450, 122, "tanh", null, { height: 28 });
    d.wire([[450, 136], [450, 169]]);
    d.op(450, 180, "×");
    d.wire([[390, yg - 17], [390, 180], [439, 180]]);
    d.wire([[461, 180], [540, 180]], { arrow: names.h != null });
    if (names.h) d.math(546, 185, names.h, "t", "start");
    // bus: h^{t-1} and x^t to every gate
    d.wire([[70, yb], [390, yb]], { arrow: false });
    if (names.h) d.math(64, yb + 5, names.h, "t−1", "end");
    d.wire([[110, 328], [110, yb]], { arrow: false });
    d.dot(110, yb);
    if (names.x) d.math(110, 343, names.x, "t");
    [160, 235, 305].forEach(function (x) {
      d.dot(x, yb);
    });
    [160, 235, 305, 390].forEach(function (x) {
      d.wire([[x, yb], [x, yg + 17]]);
    });
  }

  function lstm() {
    var d = Drawing(
      "0 32 600 320",
      "LSTM: the memory c runs along the top; the forget gate f multiplies it, the input gate i times the " +
        "tanh candidate z is added to it; the output h is the output gate o times tanh of the new memory. " +
        "All four gates read the previous output h and the input x."
    );
    drawLSTM(d, { c: "c", h: "h", x: "x" });
    return {
      svg: d.root,
      equations: [
        "i = σ(W_i [x^t, h^{t−1}] + b_i),  f, o likewise",
        "z = tanh(W_z [x^t, h^{t−1}] + b_z)",
        "c^t = i ⊙ z + f ⊙ c^{t−1}",
        "h^t = o ⊙ tanh(c^t)",
      ],
      description:
        "Long short-term memory: a memory c that the gates update additively, so a gradient can pass many steps " +
        "back along it when the forget gate stays open.",
    };
  }

  function nlstm() {
    var d = Drawing(
      "0 0 640 500",
      "Nested LSTM: an LSTM whose memory update is itself an LSTM. The outer forget gate f times the previous " +
        "memory c is the inner LSTM's previous hidden state h-tilde; the input gate i times the linear z is its " +
        "input x-tilde; the inner LSTM keeps its own memory c-tilde, and its output is the new outer memory c, " +
        "from which the output h is the output gate o times tanh of c."
    );
    // the inner LSTM, three quarters size, in a dashed frame
    var ox = 97.5;
    var oy = 18;
    var s = 0.75;
    d.frame(100, 12, 448, 268);
    d.note(112, 30, "inner LSTM", "start");
    var done = d.group("translate(" + ox + "," + oy + ") scale(" + s + ")", "memo-inner");
    drawLSTM(d, { c: "c" + TILDE, h: null, x: null, tilde: true });
    done();
    var hin = [ox + 70 * s, oy + 290 * s]; // inner bus start: its previous hidden state
    var xin = [ox + 110 * s, oy + 328 * s]; // inner input
    var out = [ox + 540 * s, oy + 180 * s]; // inner output: the outer memory c^t
    // outer memory in: c^{t-1} × f = h̃
    d.math(10, hin[1] + 5, "c", "t−1", "start");
    d.wire([[50, hin[1]], [69, hin[1]]]);
    d.op(80, hin[1], "×");
    d.wire([[91, hin[1]], hin], { arrow: false });
    d.math(122, hin[1] - 8, "h" + TILDE);
    // outer gates
    var yg = 395;
    var yb = 450;
    d.box(80, yg, "sigma", "f");
    d.box(180, yg, "linear", "z");
    d.box(255, yg, "sigma", "i");
    d.box(460, yg, "sigma", "o");
    d.wire([[80, yg - 17], [80, hin[1] + 11]]);
    d.op(180, 305, "×");
    d.wire([[180, yg - 17], [180, 316]]);
    d.wire([[255, yg - 17], [255, 305], [191, 305]]);
    d.wire([[180, 294], xin], { arrow: false });
    d.math(190, 290, "x" + TILDE, null, "start");
    // outer output: c^t, and h^t = o × tanh(c^t)
    d.wire([out, [605, out[1]]]);
    d.math(610, out[1] + 5, "c", "t", "start");
    d.dot(570, out[1]);
    d.wire([[570, out[1]], [570, 300]]);
    d.box(570, 314, "tanh", null, { height: 28 });
    d.wire([[570, 328], [570, 349]]);
    d.op(570, 360, "×");
    d.wire([[460, yg - 17], [460, 360], [559, 360]]);
    d.wire([[581, 360], [605, 360]]);
    d.math(610, 365, "h", "t", "start");
    // bus
    d.wire([[50, yb], [460, yb]], { arrow: false });
    d.math(44, yb + 5, "h", "t−1", "end");
    d.wire([[120, 478], [120, yb]], { arrow: false });
    d.dot(120, yb);
    d.math(120, 494, "x", "t");
    [80, 180, 255].forEach(function (x) {
      d.dot(x, yb);
    });
    [80, 180, 255, 460].forEach(function (x) {
      d.wire([[x, yb], [x, yg + 17]]);
    });
    return {
      svg: d.root,
      equations: [
        "i, f, o = σ(W [x^t, h^{t−1}] + b),  z = W_z [x^t, h^{t−1}] + b_z  (no activation)",
        "x̃ = i ⊙ z,  h̃ = f ⊙ c^{t−1}        (input and previous state of the inner LSTM)",
        "ĩ, f̃, õ = σ(W̃ [x̃, h̃] + b̃),  z̃ = tanh(W̃_z [x̃, h̃] + b̃_z)",
        "c̃^t = ĩ ⊙ z̃ + f̃ ⊙ c̃^{t−1}",
        "c^t = õ ⊙ tanh(c̃^t)",
        "h^t = o ⊙ tanh(c^t)",
      ],
      description:
        "Nested LSTM (Moniz & Krueger, 2018): the LSTM’s memory update i ⊙ z + f ⊙ c becomes an LSTM of its " +
        "own, giving the unit a second, inner memory c̃.",
    };
  }

  /** The GRU as PyTorch computes it (build/units/gru.py): the reset gate r scales the recurrent term
   * after its linear map, n = tanh(W_nx x + b_nx + r ⊙ (W_nh h + b_nh)); u is the update gate, as in the
   * appendix. */
  function gru() {
    var d = Drawing(
      "0 32 600 320",
      "GRU: the hidden state h runs along the top; the update gate u keeps a share u of the previous state and " +
        "adds 1 − u of the candidate n, a tanh of the input plus the reset gate r times a linear map of the " +
        "previous state."
    );
    var yc = 60;
    var yg = 230;
    var yb = 290;
    d.math(64, yc + 5, "h", "t−1", "end");
    d.wire([[70, yc], [159, yc]]);
    d.op(170, yc, "×");
    d.wire([[181, yc], [429, yc]]);
    d.op(440, yc, "+");
    d.wire([[451, yc], [540, yc]]);
    d.math(546, yc + 5, "h", "t", "start");
    d.box(170, yg, "sigma", "u");
    d.box(300, yg, "sigma", "r");
    d.box(440, yg, "tanh", "n");
    // u keeps u ⊙ h^{t-1}; 1 − u of the candidate
    d.wire([[170, yg - 17], [170, yc + 11]]);
    d.dot(170, 130);
    d.wire([[170, 130], [239, 130]]);
    d.op(250, 130, "1−");
    d.wire([[261, 130], [429, 130]]);
    d.op(440, 130, "×");
    d.wire([[440, yg - 17], [440, 141]]);
    d.wire([[440, 119], [440, yc + 11]]);
    // reset: h^{t-1} through its linear map, then r ⊙ it into the candidate (crosses u's wire, over it)
    d.dot(100, yc);
    d.wire([[100, yc], [100, yb]], { arrow: false });
    d.wire([[100, 170], [200, 170]], { halo: true });
    d.dot(100, 170);
    d.box(229, 170, "linear", null, { width: 56, height: 28 });
    d.wire([[257, 170], [289, 170]]);
    d.op(300, 170, "×");
    d.wire([[300, yg - 17], [300, 181]]);
    d.wire([[311, 170], [370, 170], [370, yg], [414, yg]]);
    // bus: h^{t-1} and x^t to the gates; x^t to the candidate
    d.wire([[100, yb], [300, yb]], { arrow: false });
    d.wire([[130, 328], [130, yb]], { arrow: false });
    d.dot(130, yb);
    d.dot(130, 310);
    d.wire([[130, 310], [440, 310], [440, yg + 17]]);
    d.math(130, 343, "x", "t");
    d.dot(170, yb);
    d.wire([[170, yb], [170, yg + 17]]);
    d.wire([[300, yb], [300, yg + 17]]);
    return {
      svg: d.root,
      equations: [
        "r = σ(W_r [x^t, h^{t−1}] + b_r),  u = σ(W_u [x^t, h^{t−1}] + b_u)",
        "n = tanh(W_{nx} x^t + b_{nx} + r ⊙ (W_{nh} h^{t−1} + b_{nh}))",
        "h^t = (1 − u) ⊙ n + u ⊙ h^{t−1}",
      ],
      description:
        "Gated recurrent unit (Cho et al., 2014), in PyTorch’s form: the reset gate r scales the previous " +
        "state after its linear map; no separate memory; the update gate u interpolates between the previous " +
        "state and the candidate n.",
    };
  }

  /** A line of plain math: x^t, h^{t−1} become superscripts, W_i, b_{z} subscripts (DOM, no markup). */
  function formula(line) {
    var p = element("p");
    var pattern = /([_^])(\{([^}]*)\}|([^\s,()[\]]))/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(line))) {
      if (match.index > last) p.appendChild(document.createTextNode(line.slice(last, match.index)));
      p.appendChild(element(match[1] === "^" ? "sup" : "sub", null, match[3] != null ? match[3] : match[4]));
      last = pattern.lastIndex;
    }
    if (last < line.length) p.appendChild(document.createTextNode(line.slice(last)));
    return p;
  }

  // The diagrams this figure draws, by unit (the name of its file in build/units/); the build draws the
  // same for readers without JavaScript (build/render/units_svg.mjs).
  var DIAGRAMS = { nlstm: nlstm, lstm: lstm, gru: gru };
  Memo.unitDiagrams = DIAGRAMS;

  /** One view: the unit's diagram, equations and description, or where its equations are. */
  function view(entry) {
    var box = element("div", "memo-unit-view");
    box.setAttribute("data-unit", entry.unit);
    box.setAttribute("data-model", entry.key);
    if (!entry.draw) {
      box.appendChild(
        element(
          "p",
          "memo-units-missing",
          "No diagram for " + entry.name + "; its equations are in build/units/" + entry.unit + ".py."
        )
      );
      return box;
    }
    var result = entry.draw();
    var scroll = element("div", "memo-unit-scroll");
    result.svg.setAttribute("data-unit", entry.unit);
    scroll.appendChild(result.svg);
    box.appendChild(scroll);
    var equations = element("div", "memo-units-equations");
    equations.setAttribute("role", "group");
    equations.setAttribute("aria-label", entry.name + " equations");
    result.equations.forEach(function (line) {
      equations.appendChild(formula(line));
    });
    box.appendChild(equations);
    box.appendChild(element("p", "memo-units-description", result.description));
    return box;
  }

  Memo.register("units", function (figure) {
    var models = Memo.models();
    if (!models.length) throw new Error("the page has no models");
    var entries = models.map(function (m, i) {
      var unit = String(m.unit || m.key);
      return {
        key: m.key,
        name: m.name || m.key,
        unit: unit,
        colour: Memo.colourClass(m.key, i),
        draw: Object.prototype.hasOwnProperty.call(DIAGRAMS, unit) ? DIAGRAMS[unit] : null,
      };
    });
    var body = figure.querySelector(".figure-body");
    body.classList.add("memo-fig"); // figures.css styles only bodies with this class
    body.textContent = "";
    body.classList.add("memo-units");
    var bar = Memo.toggleRow("recurrent unit");
    body.appendChild(bar);
    var stage = element("div", "memo-units-stage");
    body.appendChild(stage);
    var drawn = {};
    var buttons = entries.map(function (entry, i) {
      var b = Memo.button("memo-unit " + entry.colour, entry.name);
      b.setAttribute("data-model", entry.key);
      b.setAttribute("data-unit", entry.unit);
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", function () {
        show(entry);
        Memo.saveState(figure);
      });
      b.addEventListener("keydown", function (event) {
        var step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (!step) return;
        event.preventDefault();
        var next = (i + step + entries.length) % entries.length;
        show(entries[next]);
        Memo.saveState(figure);
        buttons[next].focus();
      });
      bar.appendChild(b);
      return b;
    });

    function show(shown) {
      entries.forEach(function (entry, i) {
        var on = entry === shown;
        buttons[i].setAttribute("aria-pressed", String(on));
        if (on && !drawn[entry.key]) {
          drawn[entry.key] = view(entry);
          stage.appendChild(drawn[entry.key]);
        }
        if (drawn[entry.key]) drawn[entry.key].hidden = !on;
      });
      figure.setAttribute("data-unit", shown.unit);
      figure.setAttribute("data-model", shown.key);
    }

    // A link to this figure (#units?model=lstm) shows that model's unit first.
    var first = Memo.linkedState(figure, { model: Memo.linkModel }).model || figure.getAttribute("data-unit");
    Memo.keepState(figure, function () {
      return { model: figure.getAttribute("data-model") };
    });
    show(
      entries.filter(function (entry) {
        return entry.key === first;
      })[0] ||
        entries.filter(function (entry) {
          return entry.unit === first;
        })[0] ||
        entries[0]
    );
    body.appendChild(
      element(
        "p",
        "memo-chart-note",
        "Boxes: learned layers (σ sigmoid, tanh, or linear); circles: elementwise product ×, sum +, and 1 − u (the GRU: one minus its update gate); " +
          "⊙ is the elementwise product. One step of one layer is shown."
      )
    );
    body.setAttribute("data-state", "ready");
  });
})();
