/* truncated.js: how much each model uses its context, measured by taking it away.
 *
 * data/results.json models[].test.truncated (build/truncated.py): distances [0, 2, ..., 128, null (the
 * whole observation)], cross_entropy and rise {mean, low, high: one per distance} (the rise: cross
 * entropy over the whole observation's, minus 1), top1_at_0 and top1_at_0_as_original likewise,
 * effective_context {mean, low, high} (a distance, null: only the whole observation), connectivity_90.
 * One chart: the rise in cross entropy against the characters kept before the current word, on a
 * logarithmic axis (0 first, the whole observation last), one line per model in its colour with its 95%
 * interval as a band, and a dashed mark at each model's effective context. Hover or the arrow keys read
 * the values; a visually hidden summary states them, and a table view lists every number.
 * Draws with Memo.LineChart (js/lib/70-chart.js).
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  function percent(v) {
    if (v == null || !isFinite(v)) return "–";
    var p = v * 100;
    if (Math.abs(p) >= 10) return p.toFixed(1) + "%";
    if (Math.abs(p) >= 0.1) return p.toFixed(2) + "%";
    return Number(p.toPrecision(2)) + "%";
  }

  function distanceName(d) {
    return d == null ? "the whole observation" : d + (d === 1 ? " character" : " characters");
  }

  function withInterval(format, mean, low, high) {
    return format(mean) + (low == null || high == null ? "" : " (" + format(low) + " to " + format(high) + ")");
  }

  function fixed(v) {
    return v == null || !isFinite(v) ? "–" : Number(v).toFixed(4);
  }

  Memo.register("truncated", function (figure) {
    var Chart = Memo.LineChart;
    var start = Chart.begin(figure, "data/results.json");
    var body = start.body;
    var src = start.src;
    return start.loaded.then(function (loaded) {
      var models = (loaded[0].models || []).filter(function (m) {
        return m.test && m.test.truncated && m.test.truncated.rise;
      });
      if (!models.length) throw new Error(src + " holds no test.truncated (build/truncated.py)");
      var first = models[0].test.truncated;
      var distances = first.distances;
      var keys = models.map(function (m) {
        return m.key;
      });
      var linked = Memo.linkedState(figure, { models: Memo.linkSubset(keys) });
      var state = { models: Memo.subsetState(linked.models, keys) };
      Memo.keepState(figure, function () {
        return { models: Memo.subsetParam(state.models, keys) };
      });

      /** The chart's x of a distance: its place in the list, so that 2, 4, ..., 128 fall on a log axis
       * between 0 (first) and the whole observation (last). */
      function label(x) {
        var d = distances[Math.round(x)];
        return d === undefined ? "" : d == null ? "all" : String(d);
      }

      body.textContent = "";
      body.classList.add("memo-truncated");
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
      var chart = Chart.create(body, {
        xLabel: "characters kept before the current word (logarithmic; all: the whole observation)",
        xLabelShort: "characters kept",
        yLabel: "rise in cross entropy",
        xDomain: [0, distances.length - 1],
        xInteger: true,
        xTicks: function () {
          return distances.map(function (d, x) {
            return x;
          });
        },
        xName: "characters kept:",
        xFormat: label,
        yFormat: function (v) {
          return Math.round(v * 100) + "%";
        },
        tooltipY: percent,
        label: "Rise of each model's cross entropy over its whole-observation value when it keeps only d characters before the current word, with 95% intervals and its effective context marked",
      });
      var summary = Memo.element("p", "memo-summary visually-hidden");
      body.appendChild(summary);
      var note = Memo.element("p", "memo-chart-note");
      note.textContent =
        "Over the first " + first.observations + " observations of the test split (" +
        Number(first.positions).toLocaleString("en") + " scored positions). Bands: 95% intervals from " +
        Number(first.resamples).toLocaleString("en") + " bootstrap resamples of the observations. " +
        "Dashed: the effective context, the fewest characters kept that bring the cross entropy within " +
        Math.round(first.within * 100) + "% of the whole observation's.";
      body.appendChild(note);
      var tables = Memo.element("details", "memo-table-view");
      tables.appendChild(Memo.element("summary", null, "Table of the numbers"));
      body.appendChild(tables);

      function shown() {
        return models.filter(function (m) {
          return state.models[m.key];
        });
      }

      function series(m, i) {
        var t = m.test.truncated;
        var line = {
          id: m.key + "-rise",
          label: m.name || m.key,
          className: Memo.colourClass(m.key, i),
          markers: true,
          points: t.rise.mean.map(function (v, x) {
            return [x, v];
          }),
          band: t.rise.mean.map(function (v, x) {
            return [x, t.rise.low[x], t.rise.high[x]];
          }),
        };
        var at = distances.indexOf(t.effective_context.mean);
        var mark = {
          id: m.key + "-effective",
          label: (m.name || m.key) + ", effective context",
          className: Memo.colourClass(m.key, i),
          dash: "4 3",
          thin: true,
          points: [
            [at, 0],
            [at, Math.max(t.rise.mean[0], t.rise.mean[at])],
          ],
        };
        return [line, mark];
      }

      function describe(list) {
        var parts = list.map(function (m) {
          var t = m.test.truncated;
          var rises = distances.map(function (d, x) {
            return percent(t.rise.mean[x]) + " keeping " + distanceName(d);
          });
          var reach = t.effective_context;
          return (
            (m.name || m.key) + ": cross entropy rises " + rises.slice(0, -1).join(", ") +
            ". Effective context " + distanceName(reach.mean) + " (95% interval " + distanceName(reach.low) +
            " to " + distanceName(reach.high) + "); 90% of its connectivity lies within " +
            distanceName(t.connectivity_90) + "."
          );
        });
        return parts.length ? parts.join(" ") : "No model shown.";
      }

      function fillTables(list) {
        while (tables.children.length > 1) tables.removeChild(tables.lastChild);
        var names = list.map(function (m) {
          return m.name || m.key;
        });
        [
          ["rise", "Rise in cross entropy over the whole observation's", percent],
          ["cross_entropy", "Cross entropy", fixed],
          ["top1_at_0", "Top-1 accuracy at the space before a word", percent],
          ["top1_at_0_as_original", "Top-1 accuracy at the space before a word, as the original counted", percent],
        ].forEach(function (what) {
          tables.appendChild(
            Memo.valueTable(
              what[1] + ": mean (95% interval)",
              ["characters kept"].concat(names),
              distances.map(function (d, x) {
                return [d == null ? "all" : String(d)].concat(
                  list.map(function (m) {
                    var e = m.test.truncated[what[0]];
                    return e ? withInterval(what[2], e.mean[x], e.low[x], e.high[x]) : "–";
                  })
                );
              })
            )
          );
        });
        tables.appendChild(
          Memo.valueTable(
            "How far back each model reaches",
            ["measure"].concat(names),
            [
              ["effective context (95% interval)"].concat(
                list.map(function (m) {
                  var e = m.test.truncated.effective_context;
                  return withInterval(distanceName, e.mean, e.low, e.high);
                })
              ),
              ["90% of the connectivity within"].concat(
                list.map(function (m) {
                  return distanceName(m.test.truncated.connectivity_90);
                })
              ),
            ]
          )
        );
      }

      function draw() {
        var list = shown();
        var drawn = [];
        list.forEach(function (m) {
          drawn = drawn.concat(series(m, models.indexOf(m)));
        });
        var high = 0;
        var low = 0;
        drawn.forEach(function (s) {
          (s.band || s.points).forEach(function (p) {
            p.slice(1).forEach(function (v) {
              if (v != null && isFinite(v)) {
                high = Math.max(high, v);
                low = Math.min(low, v);
              }
            });
          });
        });
        chart.set({ yDomain: [low, high > low ? high * 1.05 : low + 0.01] });
        chart.draw(drawn);
        summary.textContent = describe(list);
        fillTables(list);
        body.setAttribute("data-series", String(list.length));
      }
      draw();
      body.setAttribute("data-state", "ready");
    });
  });
})();
