/* accuracy.js: accuracy against the letters of the word already seen (the original's figure 7).
 *
 * data/results.json (the build's results: models[].test.accuracy_by_letters.{top1,top2,top3},
 * positions_by_letters; baseline.accuracy_by_letters, the no-context baseline; and
 * models[].test.as_original, the same counted as the original counted) and, when present,
 * data/published.json `accuracy` (the original's text8 models, drawn thin with markers).
 * Two ways of counting, one at a time: "scored words" (our definition, with the no-context baseline)
 * and "as the original counted" (every position of padded batches of 16, where the letter count runs on
 * through the padding), which is the only one the published curves can be set beside.
 * Models are colours, top-1/2/3 line styles; toggles for each; hover or arrow keys read the values.
 * Draws with Memo.LineChart (js/lib/70-chart.js).
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
  var MAX_LETTERS = { ours: 12, original: 21 };

  function percent(v) {
    return (v * 100).toFixed(1) + "%";
  }

  Memo.register("accuracy", function (figure) {
    var Chart = Memo.LineChart;
    var start = Chart.begin(figure, "data/results.json");
    var body = start.body;
    var src = start.src;
    return start.loaded.then(function (loaded) {
      var results = loaded[0];
      var published = loaded[1] && loaded[1].accuracy ? loaded[1].accuracy : null;
      var models = (results.models || []).filter(function (m) {
        return m.test && m.test.accuracy_by_letters;
      });
      if (!models.length) throw new Error(src + " holds no accuracy by letters");

      var hasOriginal = models.every(function (m) {
        return m.test.as_original && m.test.as_original.accuracy_by_letters;
      });

      /** The metrics of model m under the chosen counting. */
      function counted(m) {
        return state.counting === "original" ? m.test.as_original : m.test;
      }

      /** Letters seen 0..maxN: stop where the test set has few positions that long. */
      function lastLetter() {
        var metrics = counted(models[0]);
        var counts = metrics.positions_by_letters || [];
        var maxN = Math.min(MAX_LETTERS[state.counting], (metrics.accuracy_by_letters.top1 || []).length - 1);
        for (var n = 0; n <= maxN; n++) {
          if (counts.length && counts[n] < MIN_POSITIONS) return Math.max(1, n - 1);
        }
        return maxN;
      }

      var keys = models.map(function (m) {
        return m.key;
      });
      var K_KEYS = KS.map(function (k) {
        return k.key;
      });
      var REFERENCES = ["baseline", "published"];
      // A link to this figure (#accuracy?counting=original&models=gru,lstm&k=top1&show=baseline) opens
      // it with that counting, those models, those top-k curves and those references.
      var linked = Memo.linkedState(figure, {
        counting: Memo.linkChoice(hasOriginal ? ["ours", "original"] : ["ours"]),
        models: Memo.linkSubset(keys),
        k: Memo.linkSubset(K_KEYS),
        show: Memo.linkSubset(REFERENCES),
      });
      var shown = Memo.subsetState(linked.show, REFERENCES);
      var state = {
        counting: linked.counting || "ours",
        models: Memo.subsetState(linked.models, keys),
        ks: Memo.subsetState(linked.k, K_KEYS),
        baseline: shown.baseline,
        published: shown.published,
      };
      Memo.keepState(figure, function () {
        return {
          counting: state.counting,
          models: Memo.subsetParam(state.models, keys),
          k: Memo.subsetParam(state.ks, K_KEYS),
          show: Memo.subsetParam(state, REFERENCES),
        };
      });

      body.textContent = "";
      body.classList.add("memo-accuracy");
      var controls = Memo.element("div", "memo-controls");
      body.appendChild(controls);
      controls.appendChild(
        Chart.modelToggles(
          models,
          function (key, on) {
            state.models[key] = on;
            draw();
            Memo.saveState(figure);
          },
          state.models
        )
      );

      var kRow = Memo.toggleRow("top-k accuracy", "top-k accuracy:");
      KS.forEach(function (k) {
        var b = Chart.toggle(Chart.swatchLabel(k.label, "memo-baseline", k.dash), state.ks[k.key], function (on) {
          state.ks[k.key] = on;
          draw();
          Memo.saveState(figure);
        });
        b.setAttribute("data-k", k.key);
        kRow.appendChild(b);
      });
      controls.appendChild(kRow);

      if (hasOriginal) {
        controls.appendChild(
          Chart.choice(
            "counting",
            [
              { value: "ours", label: "scored words, with the no-context baseline" },
              { value: "original", label: "as the original counted, with its published curves" },
            ],
            state.counting,
            function (value) {
              state.counting = value;
              draw();
              Memo.saveState(figure);
            }
          )
        );
      }

      var refRow = Memo.toggleRow("references");
      /** A toggle of the reference series `name` (state[name]; data-series=name). */
      function reference(name, text, swatchOptions, title) {
        var b = Chart.toggle(Chart.swatchLabel(text, "memo-baseline", null, swatchOptions), state[name], function (on) {
          state[name] = on;
          draw();
          Memo.saveState(figure);
        });
        b.setAttribute("data-series", name);
        b.title = title;
        refRow.appendChild(b);
      }
      if (results.baseline && results.baseline.accuracy_by_letters) {
        reference(
          "baseline",
          "no context (letters only)",
          { thin: true },
          "the best guess from the letters of the word alone, with no earlier words"
        );
      }
      if (published) {
        reference(
          "published",
          "the original’s published results (text8)",
          { thin: true, markers: true },
          "A. Madsen, Distill 2019: the original models trained on text8 (MIT-licensed data)"
        );
      }
      controls.appendChild(refRow);

      var maxN = lastLetter();
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

      var note = Memo.element("p", "memo-chart-note");
      body.appendChild(note);

      function describe() {
        var text =
          "Test set of the build’s corpus. Letter counts past " + maxN + " are left out (fewer than " +
          MIN_POSITIONS + " test positions each).";
        if (state.counting === "original") {
          text +=
            " Counted as the original counted: every position of batches of 16 observations padded to the longest," +
            " <unknown> targets and padding included; the letter count runs on through the padding, which no" +
            " prediction matches, so the curves fall towards zero for long “words”.";
          if (published) {
            text +=
              " The thin curves with markers are the original’s published results for its text8 models (A. Madsen," +
              " Distill 2019, MIT-licensed data), counted the same way.";
          }
        } else {
          text += " Only positions whose target is a word of the vocabulary are counted, as in training.";
        }
        note.textContent = text;
      }

      function points(list) {
        var out = [];
        for (var n = 0; n <= maxN && n < list.length; n++) out.push([n, list[n]]);
        return out;
      }

      function draw() {
        maxN = lastLetter();
        chart.set({ xDomain: [0, maxN] });
        describe();
        var original = state.counting === "original";
        refRow.querySelectorAll("button[data-series]").forEach(function (b) {
          var name = b.getAttribute("data-series");
          b.hidden = (name === "baseline") === original; // each counting has its own reference
        });
        var series = [];
        KS.forEach(function (k) {
          if (!state.ks[k.key]) return;
          if (!original && state.baseline && results.baseline && results.baseline.accuracy_by_letters) {
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
            if (original && state.published && published && published[m.key] && published[m.key][k.key]) {
              series.push({
                id: "published-" + m.key + "-" + k.key,
                label: (m.name || m.key) + " original, " + k.label,
                className: Memo.colourClass(m.key, i),
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
              className: Memo.colourClass(m.key, i),
              dash: k.dash,
              points: points(counted(m).accuracy_by_letters[k.key] || []),
            });
          });
        });
        chart.draw(series);
        body.setAttribute("data-series", String(series.length));
        body.setAttribute("data-counting", state.counting);
      }
      draw();
      body.setAttribute("data-state", "ready");
    });
  });
})();
