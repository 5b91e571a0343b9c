/* 72-chart-controls.js: what the chart figures (accuracy.js, curves.js) share besides the chart: their
 * start (begin: the body, data-src, the data and data/published.json) and their controls (toggle, choice,
 * swatchLabel, modelToggles), added to Memo.LineChart.
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  var element = Memo.element;
  var swatch = Memo.LineChart.swatch;

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

  /** The "models:" row: a toggle per model ({key, name}, pressed at first unless `on` ({key: pressed},
   * a linked state's) says otherwise) with its colour's swatch (Memo.colourClass; the i-th listed for a
   * key the manifest lacks); onChange(key, pressed). */
  function modelToggles(models, onChange, on) {
    var row = Memo.toggleRow("models", "models:");
    models.forEach(function (m, i) {
      var colour = Memo.colourClass(m.key, i);
      var b = toggle(swatchLabel(m.name || m.key, colour), !on || on[m.key] !== false, function (pressed) {
        onChange(m.key, pressed);
      });
      b.setAttribute("data-model", m.key);
      b.classList.add(colour);
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

  var LineChart = Memo.LineChart;
  LineChart.swatchLabel = swatchLabel;
  LineChart.toggle = toggle;
  LineChart.choice = choice;
  LineChart.modelToggles = modelToggles;
  LineChart.begin = begin;
})();
