/* curves.js: training curves (the original's appendix): training and validation loss per model.
 *
 * data/curves.json {"models": {key: {name, step[], seconds[], train_loss[], valid_loss[] (null where not
 * measured)}}} and, when present, data/published.json `curves` {key: {train: {step, seconds, loss},
 * valid: {...}}}: the original's text8 curves, dashed, behind a toggle. The x-axis shows mini-batches or
 * wall-clock seconds, linear or logarithmic; the original's curves run about 30 times longer than the
 * small profile's, so showing them switches to the logarithmic scale (the reader may switch back).
 * Draws with Memo.LineChart (js/lib/70-chart.js).
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  var PUBLISHED_DASH = "6 4";

  /** A duration in seconds as a person writes it: "10 s", "1 min", "2.5 min", "10 min", "1 h". */
  function seconds(v) {
    function short(x, digits) {
      return String(Math.round(x * Math.pow(10, digits)) / Math.pow(10, digits));
    }
    if (v >= 3600) return short(v / 3600, v >= 36000 ? 0 : 1) + " h";
    if (v >= 60) return short(v / 60, v >= 600 ? 0 : 1) + " min";
    return short(v, v >= 10 ? 0 : 1) + " s";
  }

  // Round durations, in seconds: what a time axis ticks at. LOG_TIMES are a decade's steps on a clock.
  var TIMES = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 432000];
  var LOG_TIMES = [0.1, 1, 10, 60, 600, 3600, 36000, 86400, 864000];
  var LOG_FILL = [0.2, 0.5, 2, 5, 20, 30, 120, 300, 1200, 1800, 7200, 18000, 43200, 172800, 432000];

  /** The round durations to tick a time axis from lo to hi seconds at: on a log axis 1 s, 10 s, 1 min,
   * 10 min, 1 h, 10 h, 1 day (with steps between when the range holds fewer than three of those); on a
   * linear one multiples of the round step that gives about `count` ticks. */
  function timeTicks(lo, hi, count, log) {
    function within(v) {
      return v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
    }
    if (log) {
      var ticks = LOG_TIMES.filter(within);
      if (ticks.length < 3) ticks = ticks.concat(LOG_FILL.filter(within)).sort(function (a, b) { return a - b; });
      return ticks;
    }
    var step = TIMES.filter(function (t) { return (hi - lo) / t <= count; })[0] || TIMES[TIMES.length - 1];
    var out = [];
    for (var v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) out.push(v);
    return out;
  }
  Memo.timeTicks = timeTicks; // a time axis: its ticks and their labels
  Memo.formatDuration = seconds;

  /** Seconds in the words of the page's text (build/render/template.py duration): 42 s, 6 min 12 s, 6 h 15 min. */
  function duration(v) {
    var s = Math.round(v);
    if (s < 60) return s + " s";
    var m = Math.floor(s / 60);
    if (m < 60) return m + " min " + (s % 60) + " s";
    return Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  function count(v) {
    if (v >= 1000) return Math.round(v).toLocaleString("en");
    return String(Math.round(v * 100) / 100);
  }

  Memo.register("curves", function (figure) {
    var Chart = Memo.LineChart;
    var start = Chart.begin(figure, "data/curves.json");
    var body = start.body;
    var src = start.src;
    return start.loaded.then(function (loaded) {
      var curves = loaded[0].models || {};
      var published = loaded[1] && loaded[1].curves ? loaded[1].curves : null;
      var keys = Object.keys(curves);
      if (!keys.length) throw new Error(src + " holds no curves");
      var state = { x: "step", log: false, train: true, valid: true, published: false, models: {} };
      // A link to this figure (#curves?x=seconds&scale=log) opens it with that x-axis and scale.
      var linked = Memo.linkedState(figure, { x: Memo.linkChoice(["step", "seconds"]), scale: Memo.linkChoice(["linear", "log"]) });
      state.x = linked.x || state.x;
      state.log = linked.scale === "log";
      Memo.keepState(figure, function () {
        return { x: state.x, scale: state.log ? "log" : "linear" };
      });
      keys.forEach(function (k) {
        state.models[k] = true;
      });

      body.textContent = "";
      body.classList.add("memo-curves");
      var controls = Memo.element("div", "memo-controls");
      body.appendChild(controls);
      controls.appendChild(
        Chart.choice("x-axis", [{ value: "step", label: "mini-batches" }, { value: "seconds", label: "wall-clock time" }], state.x, function (v) {
          state.x = v;
          draw();
          Memo.saveState(figure);
        })
      );
      var scaleRow = Chart.choice("scale", [{ value: "linear", label: "linear" }, { value: "log", label: "logarithmic" }], state.log ? "log" : "linear", function (v) {
        state.log = v === "log";
        draw();
        Memo.saveState(figure);
      });
      controls.appendChild(scaleRow);
      controls.appendChild(
        Chart.modelToggles(
          keys.map(function (key) {
            return { key: key, name: curves[key].name };
          }),
          function (key, on) {
            state.models[key] = on;
            draw();
          }
        )
      );

      var lossRow = Memo.toggleRow("curves", "loss:");
      /** The toggle of the training (name "train") or validation ("valid") curves: state[name]. */
      function lossToggle(name, text, swatchOptions) {
        var b = Chart.toggle(Chart.swatchLabel(text, "memo-baseline", null, swatchOptions), true, function (on) {
          state[name] = on;
          draw();
        }, "memo-" + name + "-toggle");
        lossRow.appendChild(b);
      }
      lossToggle("train", "training", { thin: true, faded: true });
      lossToggle("valid", "validation", { markers: true });
      if (published) {
        var pl = Chart.swatchLabel("the original’s published curves (text8)", "memo-baseline", PUBLISHED_DASH);
        var pb = Chart.toggle(pl, false, function (on) {
          state.published = on;
          if (on && !state.log) {
            // ours run to hundreds of steps, the original's to thousands: a log scale shows both
            state.log = true;
            Array.prototype.forEach.call(scaleRow.querySelectorAll("button"), function (b) {
              b.setAttribute("aria-pressed", String(b.getAttribute("data-value") === "log"));
            });
          }
          draw();
        }, "memo-published-toggle");
        pb.title = "A. Madsen, Distill 2019: the original models' curves on text8 (MIT-licensed data)";
        lossRow.appendChild(pb);
      }
      controls.appendChild(lossRow);

      var chart = Chart.create(body, { yLabel: "cross entropy", xZero: true, label: "" });
      var note = Memo.element("p", "memo-chart-note");
      body.appendChild(note);

      function zip(xs, ys) {
        var out = [];
        for (var i = 0; i < xs.length && i < ys.length; i++) if (ys[i] != null && xs[i] != null) out.push([xs[i], ys[i]]);
        return out;
      }

      /** How far the longest of the models' curves (curve(key), with step and seconds) runs on the x-axis shown. */
      function lastX(curve) {
        var end = 0;
        keys.forEach(function (k) {
          var c = curve(k);
          var xs = (c && c[state.x]) || [];
          if (xs.length) end = Math.max(end, xs[xs.length - 1]);
        });
        return state.x === "step" ? count(end) + " mini-batches" : seconds(end);
      }

      function draw() {
        var series = [];
        var xName = state.x === "step" ? "mini-batch" : "time";
        keys.forEach(function (key, i) {
          if (!state.models[key]) return;
          var ours = curves[key];
          var name = ours.name || key;
          var cls = Memo.colourClass(key, i);
          var theirs = state.published && published && published[key];
          if (theirs && state.train && theirs.train) {
            series.push({ id: "published-" + key + "-train", label: name + " original, training", className: cls, dash: PUBLISHED_DASH, thin: true, faded: true, points: zip(theirs.train[state.x] || [], theirs.train.loss || []) });
          }
          if (theirs && state.valid && theirs.valid) {
            series.push({ id: "published-" + key + "-valid", label: name + " original, validation", className: cls, dash: PUBLISHED_DASH, points: zip(theirs.valid[state.x] || [], theirs.valid.loss || []) });
          }
          if (state.train) {
            series.push({ id: key + "-train", label: name + ", training", className: cls, thin: true, faded: true, points: zip(ours[state.x] || [], ours.train_loss || []) });
          }
          if (state.valid) {
            series.push({ id: key + "-valid", label: name + ", validation", className: cls, markers: true, points: zip(ours[state.x] || [], ours.valid_loss || []) });
          }
        });
        chart.set({
          xLog: state.log,
          xLabel: state.x === "step" ? "mini-batches (training steps)" : "wall-clock training time",
          xFormat: state.x === "step" ? count : seconds,
          xTicks: state.x === "step" ? null : timeTicks,
          xName: xName,
          yFormat: function (v) {
            return String(Math.round(v * 10) / 10);
          },
          tooltipY: function (v) {
            return v.toFixed(3);
          },
          label:
            "Training and validation loss against " + (state.x === "step" ? "mini-batches" : "wall-clock seconds") +
            (state.log ? " (logarithmic)" : "") + (state.published ? ", with the original's published curves" : ""),
        });
        chart.draw(series);
        body.setAttribute("data-series", String(series.length));
        body.setAttribute("data-x", state.x);
        body.setAttribute("data-log", String(state.log));
        // The counts and times the page's text gives: the manifest's steps and training time per model,
        // the original's recipe and reported time (published.json), in the same words.
        var described = ((Memo.manifest || {}).models || []).filter(function (m) { return curves[m.key]; });
        var text = described.length
          ? "Our models (solid) train for " + Memo.andJoin(described.map(function (m) {
              return count(m.steps) + " mini-batches in " + duration(m.training_seconds) + " (" + m.name + ")";
            })) + "."
          : "Our models (solid) train for " + lastX(function (k) { return curves[k]; }) + ".";
        if (published) {
          var recipe = loaded[1].recipe || {};
          text +=
            " The original’s (dashed; published data of A. Madsen, Distill 2019, MIT licence) were trained and " +
            "validated on text8 for " +
            (recipe.steps ? count(recipe.steps) + " mini-batches" : lastX(function (k) { return published[k] && published[k].train; })) +
            (loaded[1].training_seconds ? ", about " + duration(loaded[1].training_seconds) + " each," : "") +
            " on a GPU, with larger models and mini-batches: compare the shapes, not the values.";
        }
        note.textContent = text;
      }
      draw();
      body.setAttribute("data-state", "ready");
    });
  });
})();
