/* accuracy.js: accuracy against the letters of the word already seen (the original's figure 7).
 *
 * data/results.json (the build's results: models[].test.accuracy_by_letters.{top1,top2,top3},
 * positions_by_letters; baseline.accuracy_by_letters, the no-context baseline) and, when present,
 * data/published.json `accuracy` (the original's text8 models, drawn thin with markers as a reference).
 * Models are colours, top-1/2/3 line styles; toggles for each; hover or arrow keys read the values.
 * Draws with Memo.LineChart (chart.js).
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  var KS = [
    { key: "top1", label: "top-1", dash: null },
    { key: "top2", label: "top-2", dash: "7 4" },
    { key: "top3", label: "top-3", dash: "1.5 3.5" },
  ];
  var MIN_POSITIONS = 100;
  var MAX_LETTERS = 12;
  var CLASSES = ["memo-gru", "memo-lstm", "memo-nlstm"];

  function colourClass(key, i) {
    return CLASSES.indexOf("memo-" + key) >= 0 ? "memo-" + key : CLASSES[i % CLASSES.length];
  }
  function percent(v) {
    return (v * 100).toFixed(1) + "%";
  }

  Memo.register("accuracy", function (figure) {
    var Chart = Memo.LineChart;
    if (!Chart) throw new Error("accuracy.js needs chart.js (Memo.LineChart)");
    var body = figure.querySelector(".figure-body");
    body.classList.add("memo-fig"); // figures.css styles only bodies with this class
    var src = figure.getAttribute("data-src") || "data/results.json";
    body.setAttribute("data-state", "loading");
    return Promise.all([
      Memo.load(src),
      Memo.load("data/published.json").catch(function () {
        return null;
      }),
    ]).then(function (loaded) {
      var results = loaded[0];
      var published = loaded[1] && loaded[1].accuracy ? loaded[1].accuracy : null;
      var models = (results.models || []).filter(function (m) {
        return m.test && m.test.accuracy_by_letters;
      });
      if (!models.length) throw new Error(src + " holds no accuracy by letters");

      // Letters seen 0..maxN: stop where the test set has few words that long.
      var counts = models[0].test.positions_by_letters || [];
      var maxN = Math.min(MAX_LETTERS, (models[0].test.accuracy_by_letters.top1 || []).length - 1);
      for (var n = 0; n <= maxN; n++) {
        if (counts.length && counts[n] < MIN_POSITIONS) {
          maxN = Math.max(1, n - 1);
          break;
        }
      }

      var state = { models: {}, ks: { top1: true, top2: true, top3: true }, baseline: true, published: false };
      models.forEach(function (m) {
        state.models[m.key] = true;
      });

      body.textContent = "";
      body.classList.add("memo-accuracy");
      var controls = Chart.element("div", "memo-controls");
      body.appendChild(controls);

      var modelRow = Chart.element("div", "memo-toggles");
      modelRow.setAttribute("role", "group");
      modelRow.setAttribute("aria-label", "models");
      modelRow.appendChild(Chart.element("span", "memo-toggles-label", "models:"));
      models.forEach(function (m, i) {
        var label = Chart.element("span");
        label.appendChild(Chart.swatch(colourClass(m.key, i)));
        label.appendChild(document.createTextNode(m.name || m.key));
        var b = Chart.toggle(label, true, function (on) {
          state.models[m.key] = on;
          draw();
        });
        b.setAttribute("data-model", m.key);
        modelRow.appendChild(b);
      });
      controls.appendChild(modelRow);

      var kRow = Chart.element("div", "memo-toggles");
      kRow.setAttribute("role", "group");
      kRow.setAttribute("aria-label", "top-k accuracy");
      kRow.appendChild(Chart.element("span", "memo-toggles-label", "top-k accuracy:"));
      KS.forEach(function (k) {
        var label = Chart.element("span");
        label.appendChild(Chart.swatch("memo-baseline", k.dash));
        label.appendChild(document.createTextNode(k.label));
        var b = Chart.toggle(label, state.ks[k.key], function (on) {
          state.ks[k.key] = on;
          draw();
        });
        b.setAttribute("data-k", k.key);
        kRow.appendChild(b);
      });
      controls.appendChild(kRow);

      var refRow = Chart.element("div", "memo-toggles");
      refRow.setAttribute("role", "group");
      refRow.setAttribute("aria-label", "references");
      if (results.baseline && results.baseline.accuracy_by_letters) {
        var bl = Chart.element("span");
        bl.appendChild(Chart.swatch("memo-baseline", null, { thin: true }));
        bl.appendChild(document.createTextNode("no context (letters only)"));
        var bb = Chart.toggle(bl, state.baseline, function (on) {
          state.baseline = on;
          draw();
        });
        bb.setAttribute("data-series", "baseline");
        bb.title = "the best guess from the letters of the word alone, with no earlier words";
        refRow.appendChild(bb);
      }
      if (published) {
        var pl = Chart.element("span");
        pl.appendChild(Chart.swatch("memo-baseline", null, { thin: true, markers: true }));
        pl.appendChild(document.createTextNode("the original’s published results (text8)"));
        var pb = Chart.toggle(pl, state.published, function (on) {
          state.published = on;
          draw();
        });
        pb.setAttribute("data-series", "published");
        pb.title = "A. Madsen, Distill 2019: the original models trained on text8 (MIT-licensed data)";
        refRow.appendChild(pb);
      }
      controls.appendChild(refRow);

      var chart = Chart.create(body, {
        xLabel: "letters of the word already seen (0: only the space before it)",
        xLabelShort: "letters of the word seen",
        yLabel: "accuracy",
        xDomain: [0, maxN],
        yDomain: [0, 1],
        xInteger: true,
        xName: "letters seen:",
        yFormat: function (v) {
          return Math.round(v * 100) + "%";
        },
        tooltipY: percent,
        label:
          "Accuracy of each model against the number of letters of the word already seen, top-1, top-2 and top-3" +
          (published ? ", with the original's published results" : ""),
      });

      var note = Chart.element(
        "p",
        "memo-chart-note",
        "Test set of the build’s corpus. Word lengths past " + maxN + " letters are left out (fewer than " +
          MIN_POSITIONS + " test positions each)." +
          (published
            ? " The original’s curves are its text8 models’ published results (A. Madsen, Distill 2019, " +
              "MIT-licensed data), a different corpus and far larger models: a reference, not a like-for-like comparison."
            : "")
      );
      body.appendChild(note);

      function points(list) {
        var out = [];
        for (var n = 0; n <= maxN && n < list.length; n++) out.push([n, list[n]]);
        return out;
      }

      function draw() {
        var series = [];
        KS.forEach(function (k) {
          if (!state.ks[k.key]) return;
          if (state.baseline && results.baseline && results.baseline.accuracy_by_letters) {
            series.push({
              id: "baseline-" + k.key,
              label: "no context, " + k.label,
              className: "memo-baseline",
              dash: k.dash,
              thin: true,
              points: points(results.baseline.accuracy_by_letters[k.key] || []),
            });
          }
        });
        models.forEach(function (m, i) {
          if (!state.models[m.key]) return;
          KS.forEach(function (k) {
            if (!state.ks[k.key]) return;
            if (state.published && published && published[m.key] && published[m.key][k.key]) {
              series.push({
                id: "published-" + m.key + "-" + k.key,
                label: (m.name || m.key) + " original, " + k.label,
                className: colourClass(m.key, i),
                dash: k.dash,
                thin: true,
                faded: true,
                markers: true,
                points: points(published[m.key][k.key]),
              });
            }
            series.push({
              id: m.key + "-" + k.key,
              label: (m.name || m.key) + ", " + k.label,
              className: colourClass(m.key, i),
              dash: k.dash,
              points: points(m.test.accuracy_by_letters[k.key] || []),
            });
          });
        });
        chart.draw(series);
        body.setAttribute("data-series", String(series.length));
      }
      draw();
      body.setAttribute("data-state", "ready");
    });
  });
})();
