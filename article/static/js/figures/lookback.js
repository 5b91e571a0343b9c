/* lookback.js: how far back each model looks, measured over the first observations of the test split.
 *
 * data/results.json models[].test.context (build/lookback.py): share_before_word {"0".."4", "5+": {mean,
 * low, high, positions}}, by_distance {"0", "3+": [mean at distance 0..max_distance]} with
 * by_distance_low / by_distance_high (95% bootstrap intervals) and by_distance_positions.
 * Three charts: the share of connectivity before the current word against the letters of the word read,
 * and the mean connectivity (each row normalised to sum 1) against the distance back from the output
 * position, at the space before a word (0 letters) and with 3 or more letters read. One line per model
 * in its colour with its interval as a band; hover or the arrow keys read the values and intervals; a
 * visually hidden summary states them, and a table view lists every number.
 * A run that trained each model with several seeds (models[].seeds[], each with its own test.context)
 * draws every seed as a thin line and their mean as the model's line, its band the 95% t-interval of the
 * mean over seeds where results.json has one (models[].across_seeds, three seeds or more).
 * Draws with Memo.LineChart (js/lib/70-chart.js).
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  var GROUPS = ["0", "1", "2", "3", "4", "5+"];
  var DISTANCES = [
    { key: "0", title: "at the space before a word (0 letters read)" },
    { key: "3+", title: "with 3 or more letters of the word read" },
  ];
  var SAID_DISTANCES = [1, 5, 10, 20, 50, 100]; // the distances the summary states

  function percent(v) {
    if (v == null || !isFinite(v)) return "–";
    var p = v * 100;
    if (p >= 10) return p.toFixed(1) + "%";
    if (p >= 1) return p.toFixed(2) + "%";
    return Number(p.toPrecision(2)) + "%";
  }

  function interval(low, high) {
    return low == null || high == null ? "" : " (95% interval " + percent(low) + " to " + percent(high) + ")";
  }

  /** "80.4% (79.9% to 80.9%)": a table cell. */
  function withInterval(mean, low, high) {
    return percent(mean) + (low == null || high == null ? "" : " (" + percent(low) + " to " + percent(high) + ")");
  }

  function lettersLabel(v) {
    return v >= 5 ? "5+" : String(v);
  }

  /** A model's training seeds that were measured, when there are several (else none). */
  function seedsOf(m) {
    var seeds = (m.seeds || []).filter(function (s) {
      return s.test && s.test.context && s.test.context.share_before_word;
    });
    return seeds.length > 1 ? seeds : [];
  }

  /** The mean over `lists` (equal lengths) at each index; null where any is missing. */
  function meanOf(lists) {
    return lists[0].map(function (_, k) {
      var sum = 0;
      for (var j = 0; j < lists.length; j++) {
        var v = lists[j][k];
        if (v == null || !isFinite(v)) return null;
        sum += v;
      }
      return sum / lists.length;
    });
  }

  /** The thin line of every seed and the bold line of their mean, from each seed's values `values(seed)`
   * (an array by x) and the mean's band `band(k)` ([low, high] or null); a one-seed model keeps `single`. */
  function seededSeries(m, i, id, single, values, band) {
    var seeds = seedsOf(m);
    if (!seeds.length) return [single];
    var cls = Memo.colourClass(m.key, i);
    var name = m.name || m.key;
    var lines = seeds.map(function (s) {
      return {
        id: id + "-seed" + s.seed,
        label: name + ", seed " + s.seed,
        className: cls,
        thin: true,
        faded: true,
        points: values(s).map(function (v, x) {
          return [x, v];
        }),
      };
    });
    var mean = meanOf(seeds.map(values));
    lines.push({
      id: id,
      label: name + ", mean of " + seeds.length + " seeds",
      className: cls,
      markers: single.markers,
      points: mean.map(function (v, x) {
        return [x, v];
      }),
      band: mean.map(function (_, x) {
        var b = band(x) || [null, null];
        return [x, b[0], b[1]];
      }),
    });
    return lines;
  }

  Memo.register("lookback", function (figure) {
    var Chart = Memo.LineChart;
    var start = Chart.begin(figure, "data/results.json");
    var body = start.body;
    var src = start.src;
    return start.loaded.then(function (loaded) {
      var models = (loaded[0].models || []).filter(function (m) {
        return m.test && m.test.context && m.test.context.share_before_word;
      });
      if (!models.length) throw new Error(src + " holds no test.context (build/lookback.py)");
      var context = models[0].test.context;
      var seedCount = seedsOf(models[0]).length || 1;
      var seedList = seedsOf(models[0])
        .map(function (s) {
          return s.seed;
        })
        .join(", ");
      var maxDistance = context.max_distance || (context.by_distance["0"] || []).length - 1;
      var keys = models.map(function (m) {
        return m.key;
      });
      // A link to this figure (#lookback?scale=linear&models=gru,nlstm) opens its distance charts on that
      // scale, with those models.
      var linked = Memo.linkedState(figure, { scale: Memo.linkChoice(["log", "linear"]), models: Memo.linkSubset(keys) });
      var state = { log: linked.scale !== "linear", models: Memo.subsetState(linked.models, keys) };
      Memo.keepState(figure, function () {
        return { scale: state.log ? "log" : "linear", models: Memo.subsetParam(state.models, keys) };
      });

      body.textContent = "";
      body.classList.add("memo-lookback");
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
      controls.appendChild(
        Chart.choice(
          "scale of the distance charts",
          [
            { value: "log", label: "logarithmic" },
            { value: "linear", label: "linear" },
          ],
          state.log ? "log" : "linear",
          function (value) {
            state.log = value === "log";
            draw();
            Memo.saveState(figure);
          }
        )
      );

      var shareChart = panel(
        "Share of connectivity before the current word, by letters of the word read",
        {
          xLabel: "letters of the word already read",
          xLabelShort: "letters read",
          yLabel: "share before the word",
          xDomain: [0, GROUPS.length - 1],
          yDomain: [0, 1],
          xInteger: true,
          xName: "letters read:",
          xFormat: lettersLabel,
          yFormat: function (v) {
            return Math.round(v * 100) + "%";
          },
          tooltipY: percent,
          label: "Share of each model's connectivity that lies before the current word, by letters read, with 95% intervals",
        }
      );
      var distanceCharts = DISTANCES.map(function (group) {
        return panel("Mean connectivity by distance back, " + group.title, {
          xLabel: "characters back from the output position",
          xLabelShort: "characters back",
          yLabel: "share of the row",
          xDomain: [0, maxDistance],
          xInteger: true,
          xName: "characters back:",
          yFormat: Chart.percentTick,
          tooltipY: percent,
          label: "Mean connectivity of each model against distance back, " + group.title + ", with 95% intervals",
        });
      });

      var summary = Memo.element("p", "memo-summary visually-hidden");
      body.appendChild(summary);
      var note = Memo.element("p", "memo-chart-note");
      note.textContent =
        "Over the first " + context.observations + " observations of the test split (" +
        Number(context.positions).toLocaleString("en") + " output positions). Bands: 95% intervals from " +
        Number(context.resamples).toLocaleString("en") + " bootstrap resamples of the observations. A distance counts the positions that reach that far back." +
        (seedCount > 1
          ? " Each model trained " + seedCount + " times (training seeds " + seedList + "): thin lines are the seeds, the bold line their mean" +
            (seedCount >= 3 ? ", its band on the share chart the 95% t-interval of the mean over seeds" : " (no band: two seeds give no interval worth drawing)") +
            "; the tables give the first seed's numbers, whose weights the live figures run."
          : " Each model trained once: the intervals cover the choice of text, not the training.");
      body.appendChild(note);
      var tables = Memo.element("details", "memo-table-view");
      tables.appendChild(Memo.element("summary", null, "Table of the numbers"));
      body.appendChild(tables);

      /** A titled chart in its own block. */
      function panel(title, options) {
        var block = Memo.element("div", "memo-lookback-panel");
        block.appendChild(Memo.element("p", "memo-panel-title", title));
        body.appendChild(block);
        return Chart.create(block, options);
      }

      function shown() {
        return models.filter(function (m) {
          return state.models[m.key];
        });
      }

      function shareSeries(m, i) {
        var points = [];
        var band = [];
        GROUPS.forEach(function (g, x) {
          var entry = m.test.context.share_before_word[g] || {};
          points.push([x, entry.mean]);
          band.push([x, entry.low, entry.high]);
        });
        var single = { id: m.key + "-share", label: m.name || m.key, className: Memo.colourClass(m.key, i), points: points, band: band, markers: true };
        return seededSeries(
          m,
          i,
          single.id,
          single,
          function (s) {
            return GROUPS.map(function (g) {
              return (s.test.context.share_before_word[g] || {}).mean;
            });
          },
          function (x) {
            var spread = (m.across_seeds || {})["share_before_word_" + GROUPS[x]] || {};
            return spread.low == null ? null : [spread.low, spread.high];
          }
        );
      }

      function distanceSeries(m, i, group) {
        var c = m.test.context;
        var means = c.by_distance[group] || [];
        var lows = (c.by_distance_low || {})[group] || [];
        var highs = (c.by_distance_high || {})[group] || [];
        var single = {
          id: m.key + "-distance-" + group,
          label: m.name || m.key,
          className: Memo.colourClass(m.key, i),
          points: means.map(function (v, d) {
            return [d, v];
          }),
          band: means.map(function (v, d) {
            return [d, lows[d], highs[d]];
          }),
        };
        return seededSeries(
          m,
          i,
          single.id,
          single,
          function (s) {
            return s.test.context.by_distance[group] || [];
          },
          function () {
            return null;
          }
        );
      }

      function describe(list) {
        var parts = list.map(function (m) {
          var c = m.test.context;
          var shares = GROUPS.map(function (g) {
            var e = c.share_before_word[g] || {};
            return g + (g === "1" ? " letter " : " letters ") + percent(e.mean) + interval(e.low, e.high);
          });
          var reach = DISTANCES.map(function (group) {
            var means = c.by_distance[group.key] || [];
            return (
              group.title + ": " +
              SAID_DISTANCES.filter(function (d) {
                return d < means.length;
              })
                .map(function (d) {
                  return percent(means[d]) + " at " + d + " back";
                })
                .join(", ")
            );
          });
          var spread = (m.across_seeds || {}).share_before_word_0;
          var seeds = seedsOf(m).length;
          var over = seeds && spread
            ? " Over its " + seeds + " training seeds the share at 0 letters averages " + percent(spread.mean) +
              " (lowest seed " + percent(spread.min) + ", highest " + percent(spread.max) + ")" +
              (spread.low == null ? "" : ", 95% t-interval of the mean " + percent(spread.low) + " to " + percent(spread.high)) +
              "; the numbers before are the first seed's."
            : "";
          return (
            (m.name || m.key) + ": share of connectivity before the current word at " + shares.join(", ") +
            ". Mean connectivity by distance " + reach.join("; ") + "." + over
          );
        });
        return parts.length ? parts.join(" ") : "No model shown.";
      }

      function fillTables(list) {
        while (tables.children.length > 1) tables.removeChild(tables.lastChild);
        var names = list.map(function (m) {
          return m.name || m.key;
        });
        tables.appendChild(
          Memo.valueTable(
            "Share of connectivity before the current word: mean (95% interval)",
            ["letters read"].concat(names),
            GROUPS.map(function (g) {
              return [g].concat(
                list.map(function (m) {
                  var e = m.test.context.share_before_word[g] || {};
                  return withInterval(e.mean, e.low, e.high);
                })
              );
            })
          )
        );
        DISTANCES.forEach(function (group) {
          var rows = [];
          for (var d = 0; d <= maxDistance; d++) {
            rows.push(
              [String(d)].concat(
                list.map(function (m) {
                  var c = m.test.context;
                  return withInterval(
                    (c.by_distance[group.key] || [])[d],
                    ((c.by_distance_low || {})[group.key] || [])[d],
                    ((c.by_distance_high || {})[group.key] || [])[d]
                  );
                })
              )
            );
          }
          tables.appendChild(
            Memo.valueTable("Mean connectivity by distance back, " + group.title + ": mean (95% interval)", ["characters back"].concat(names), rows)
          );
        });
      }

      /** The y range of the series and their bands: from 0 (linear) or, on the log scale, from the power
       * of ten at or below the smallest positive value, however small: every point is drawn (a fixed
       * floor hid most of the distances of a model whose connectivity fades fast). */
      function valueRange(series, log) {
        var lo = Infinity;
        var hi = 0;
        series.forEach(function (s) {
          (s.band || s.points).forEach(function (p, k) {
            [s.points[k][1], s.band ? p[1] : null, s.band ? p[2] : null].forEach(function (v) {
              if (v == null || !isFinite(v)) return;
              if (v > hi) hi = v;
              if (v > 0 && v < lo) lo = v;
            });
          });
        });
        if (!(hi > 0)) return null;
        return log ? [Math.pow(10, Math.floor(Math.log10(lo) + 1e-9)), hi] : [0, hi * 1.04];
      }

      function draw() {
        var list = shown();
        var indexed = list.map(function (m) {
          return [m, models.indexOf(m)];
        });
        shareChart.draw(
          [].concat.apply(
            [],
            indexed.map(function (p) {
              return shareSeries(p[0], p[1]);
            })
          )
        );
        distanceCharts.forEach(function (chart, k) {
          var series = [].concat.apply(
            [],
            indexed.map(function (p) {
              return distanceSeries(p[0], p[1], DISTANCES[k].key);
            })
          );
          chart.set({ yLog: state.log, yDomain: valueRange(series, state.log) });
          chart.draw(series);
        });
        summary.textContent = describe(list);
        fillTables(list);
        body.setAttribute("data-series", String(list.length));
        body.setAttribute("data-scale", state.log ? "log" : "linear");
      }
      draw();
      body.setAttribute("data-state", "ready");
    });
  });
})();
