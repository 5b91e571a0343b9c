/* skill.js: memory against skill, each model's share of connectivity before the word as it trains.
 *
 * data/results.json models[].seeds[].during_training (build/during.py): for each kept step and then the
 * final model, {step, valid_cross_entropy, share_before_word_0: {mean, low, high}}. One chart: the share
 * at the space before a word (0 letters read) against the validation cross entropy, one line per model
 * and training seed (the seed whose weights the page runs bold, with its 95% interval as a band and a dot
 * at every kept step; other seeds thin), each ending at the final model (a filled dot), and a dashed
 * mark at the cross entropy every model reaches (the highest of their final ones), where the models
 * compare at equal skill. Training runs from right (high cross entropy) to left. Hover or the arrow keys
 * read model, seed, step, cross entropy and share; a visually hidden summary states them, and a table
 * view lists every number. Draws with Memo.LineChart (js/lib/70-chart.js).
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  function percent(v) {
    return v == null || !isFinite(v) ? "–" : (v * 100).toFixed(1) + "%";
  }

  function fixed(v) {
    return v == null || !isFinite(v) ? "–" : Number(v).toFixed(4);
  }

  function withInterval(share) {
    return percent(share.mean) + (share.low == null || share.high == null ? "" : " (" + percent(share.low) + " to " + percent(share.high) + ")");
  }

  /** A model's measured training seeds, the page's first: [{seed, points}]. */
  function curvesOf(m) {
    return (m.seeds || [])
      .filter(function (s) {
        return s.during_training && s.during_training.length;
      })
      .map(function (s) {
        return { seed: s.seed, points: s.during_training };
      });
  }

  /** The cross entropy every model reaches: the highest of their final ones. */
  function commonOf(curves) {
    return Math.max.apply(
      null,
      curves.map(function (points) {
        return points[points.length - 1].valid_cross_entropy;
      })
    );
  }

  /** The share (part: mean, low, high) where a curve first reaches cross entropy `ce`, interpolated
   * between kept steps (build/render/facts.py share_at); its first share when it starts below. */
  function shareAt(points, ce, part) {
    for (var k = 0; k + 1 < points.length; k++) {
      var a = points[k];
      var b = points[k + 1];
      if (a.valid_cross_entropy >= ce && ce >= b.valid_cross_entropy) {
        var span = a.valid_cross_entropy - b.valid_cross_entropy;
        var w = span === 0 ? 0 : (a.valid_cross_entropy - ce) / span;
        var s0 = a.share_before_word_0[part];
        var s1 = b.share_before_word_0[part];
        return s0 == null || s1 == null ? null : s0 + w * (s1 - s0);
      }
    }
    return points.length && points[0].valid_cross_entropy <= ce ? points[0].share_before_word_0[part] : null;
  }

  Memo.register("skill", function (figure) {
    var Chart = Memo.LineChart;
    var start = Chart.begin(figure, "data/results.json");
    var body = start.body;
    var src = start.src;
    return start.loaded.then(function (loaded) {
      var models = (loaded[0].models || []).filter(function (m) {
        return curvesOf(m).length;
      });
      if (!models.length) throw new Error(src + " holds no during_training (build/during.py)");
      var evaluation = loaded[0].evaluation || {};
      var keys = models.map(function (m) {
        return m.key;
      });
      var common = commonOf(
        models.map(function (m) {
          return curvesOf(m)[0].points;
        })
      );
      var seedCount = curvesOf(models[0]).length;
      var linked = Memo.linkedState(figure, { models: Memo.linkSubset(keys) });
      var state = { models: Memo.subsetState(linked.models, keys) };
      Memo.keepState(figure, function () {
        return { models: Memo.subsetParam(state.models, keys) };
      });

      body.textContent = "";
      body.classList.add("memo-skill");
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
        xLabel: "validation cross entropy (training runs from right to left)",
        xLabelShort: "validation cross entropy",
        yLabel: "share before the word",
        xName: "cross entropy",
        xFormat: function (v) {
          return Number(v).toFixed(2);
        },
        tooltipX: fixed,
        yFormat: function (v) {
          return Math.round(v * 100) + "%";
        },
        tooltipY: percent,
        tooltipRow: function (s, p, band) {
          return (
            percent(p[1]) + (band ? " (" + percent(band[1]) + " to " + percent(band[2]) + ")" : "") +
            " at step " + p[2] + (p[3] ? " (final)" : "") + ", cross entropy " + fixed(p[0])
          );
        },
        label: "Share of each model's connectivity before the word at 0 letters read against its validation cross entropy over training, with 95% intervals, a dot at each final model and a dashed mark at the cross entropy every model reaches",
      });
      var summary = Memo.element("p", "memo-summary visually-hidden");
      body.appendChild(summary);
      var note = Memo.element("p", "memo-chart-note");
      note.textContent =
        "Weights kept every " + (evaluation.keep_every || "?") + " training steps and the final model; " +
        "the cross entropy over the first " + (evaluation.during_observations || "?") + " observations of the validation split, " +
        "the share at the space before a word over the first " + (evaluation.during_observations || "?") +
        " of the test split, with 95% bootstrap intervals. Dashed: the cross entropy every model reaches, " + fixed(common) + "." +
        (seedCount > 1 ? " Thin lines: the other training seeds; bold: the seed whose weights the page runs." : "");
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
        var cls = Memo.colourClass(m.key, i);
        var name = m.name || m.key;
        var curves = curvesOf(m);
        return curves.map(function (c, n) {
          var last = c.points.length - 1;
          var line = {
            id: n === 0 ? m.key : m.key + "-seed" + c.seed,
            label: name + (curves.length > 1 ? ", seed " + c.seed : ""),
            className: cls,
            end: true,
            points: c.points.map(function (p, k) {
              return [p.valid_cross_entropy, p.share_before_word_0.mean, p.step, k === last];
            }),
          };
          if (n === 0) {
            line.markers = true;
            line.band = c.points.map(function (p) {
              return [p.valid_cross_entropy, p.share_before_word_0.low, p.share_before_word_0.high];
            });
          } else {
            line.thin = true;
            line.faded = true;
          }
          return line;
        });
      }

      function describe(list) {
        if (!list.length) return "No model shown.";
        var at = list.map(function (m) {
          return (m.name || m.key) + " " + withInterval({
            mean: shareAt(curvesOf(m)[0].points, common, "mean"),
            low: shareAt(curvesOf(m)[0].points, common, "low"),
            high: shareAt(curvesOf(m)[0].points, common, "high"),
          });
        });
        var along = list.map(function (m) {
          return curvesOf(m)
            .map(function (c) {
              var first = c.points[0];
              var last = c.points[c.points.length - 1];
              return (
                (m.name || m.key) + (seedCount > 1 ? ", seed " + c.seed : "") + ": from step " + first.step +
                " (cross entropy " + fixed(first.valid_cross_entropy) + ", share " + percent(first.share_before_word_0.mean) +
                ") to the final model at step " + last.step + " (cross entropy " + fixed(last.valid_cross_entropy) +
                ", share " + withInterval(last.share_before_word_0) + ")."
              );
            })
            .join(" ");
        });
        return (
          "At the validation cross entropy every model reaches, " + fixed(common) + ", the share of connectivity before the word is " +
          at.join("; ") + ". " + along.join(" ")
        );
      }

      function fillTables(list) {
        while (tables.children.length > 1) tables.removeChild(tables.lastChild);
        tables.appendChild(
          Memo.valueTable(
            "At the cross entropy every model reaches (" + fixed(common) + (seedCount > 1 ? ", seed " + curvesOf(models[0])[0].seed : "") + ") and at the end",
            ["model", "share at " + fixed(common) + " (95% interval)", "final share (95% interval)", "final cross entropy"],
            list.map(function (m) {
              var points = curvesOf(m)[0].points;
              var last = points[points.length - 1];
              return [
                m.name || m.key,
                withInterval({ mean: shareAt(points, common, "mean"), low: shareAt(points, common, "low"), high: shareAt(points, common, "high") }) +
                  (points[0].valid_cross_entropy < common ? " (its first kept step, already below)" : ""),
                withInterval(last.share_before_word_0),
                fixed(last.valid_cross_entropy),
              ];
            })
          )
        );
        var rows = [];
        list.forEach(function (m) {
          curvesOf(m).forEach(function (c) {
            c.points.forEach(function (p, k) {
              rows.push([
                (m.name || m.key) + (seedCount > 1 ? ", seed " + c.seed : ""),
                String(p.step) + (k === c.points.length - 1 ? " (final)" : ""),
                fixed(p.valid_cross_entropy),
                withInterval(p.share_before_word_0),
              ]);
            });
          });
        });
        tables.appendChild(Memo.valueTable("Every kept step", ["model", "step", "validation cross entropy", "share before the word (95% interval)"], rows));
      }

      function draw() {
        var list = shown();
        var drawn = [];
        list.forEach(function (m) {
          drawn = drawn.concat(series(m, models.indexOf(m)));
        });
        var high = 0;
        var low = 1;
        drawn.forEach(function (s) {
          (s.band || s.points).forEach(function (p) {
            p.slice(1, s.band ? 3 : 2).forEach(function (v) {
              if (v != null && isFinite(v)) {
                high = Math.max(high, v);
                low = Math.min(low, v);
              }
            });
          });
        });
        if (!(high > low)) {
          low = 0;
          high = 1;
        }
        var pad = (high - low) * 0.08 || 0.01;
        low = Math.max(0, low - pad);
        high = Math.min(1, high + pad);
        if (drawn.length) {
          drawn.push({
            id: "common",
            label: "the cross entropy every model reaches",
            className: "memo-baseline",
            dash: "4 3",
            thin: true,
            hover: false,
            points: [
              [common, low],
              [common, high],
            ],
          });
        }
        // the cross entropies drawn, with a margin so that no line ends on the plot's edge
        var left = Infinity;
        var right = -Infinity;
        drawn.forEach(function (s) {
          s.points.forEach(function (p) {
            left = Math.min(left, p[0]);
            right = Math.max(right, p[0]);
          });
        });
        var margin = right > left ? (right - left) * 0.04 : 0.05;
        chart.set({ yDomain: [low, high], xDomain: isFinite(left) ? [left - margin, right + margin] : null });
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
