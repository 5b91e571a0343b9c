/* curves.js: training curves (the original's appendix): training and validation loss per model.
 *
 * data/curves.json {"models": {key: {name, step[], seconds[], train_loss[], valid_loss[] (null where not
 * measured)}}} and, when present, data/published.json `curves` {key: {train: {step, seconds, loss},
 * valid: {...}}}: the original's text8 curves, dashed, behind a toggle. The x-axis shows mini-batches or
 * wall-clock seconds, linear or logarithmic; the original's curves run about 30 times longer than the
 * small profile's, so showing them switches to the logarithmic scale (the reader may switch back).
 * Draws with Memo.LineChart (chart.js).
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  var CLASSES = ["memo-gru", "memo-lstm", "memo-nlstm"];
  var PUBLISHED_DASH = "6 4";

  function colourClass(key, i) {
    return CLASSES.indexOf("memo-" + key) >= 0 ? "memo-" + key : CLASSES[i % CLASSES.length];
  }

  function seconds(v) {
    if (v >= 3600) return (v / 3600).toFixed(v >= 36000 ? 0 : 1) + " h";
    if (v >= 60) return (v / 60).toFixed(v >= 600 ? 0 : 1) + " min";
    return (v >= 10 ? Math.round(v) : Math.round(v * 10) / 10) + " s";
  }

  function count(v) {
    if (v >= 1000) return Math.round(v).toLocaleString("en");
    return String(Math.round(v * 100) / 100);
  }

  Memo.register("curves", function (figure) {
    var Chart = Memo.LineChart;
    if (!Chart) throw new Error("curves.js needs chart.js (Memo.LineChart)");
    var body = figure.querySelector(".figure-body");
    body.classList.add("memo-fig"); // figures.css styles only bodies with this class
    var src = figure.getAttribute("data-src") || "data/curves.json";
    body.setAttribute("data-state", "loading");
    return Promise.all([
      Memo.load(src),
      Memo.load("data/published.json").catch(function () {
        return null;
      }),
    ]).then(function (loaded) {
      var curves = loaded[0].models || {};
      var published = loaded[1] && loaded[1].curves ? loaded[1].curves : null;
      var keys = Object.keys(curves);
      if (!keys.length) throw new Error(src + " holds no curves");
      var state = { x: "step", log: false, train: true, valid: true, published: false, models: {} };
      keys.forEach(function (k) {
        state.models[k] = true;
      });

      body.textContent = "";
      body.classList.add("memo-curves");
      var controls = Chart.element("div", "memo-controls");
      body.appendChild(controls);
      controls.appendChild(
        Chart.choice("x-axis", [{ value: "step", label: "mini-batches" }, { value: "seconds", label: "wall-clock time" }], state.x, function (v) {
          state.x = v;
          draw();
        })
      );
      var scaleRow = Chart.choice("scale", [{ value: "linear", label: "linear" }, { value: "log", label: "logarithmic" }], "linear", function (v) {
        state.log = v === "log";
        draw();
      });
      controls.appendChild(scaleRow);

      var modelRow = Chart.element("div", "memo-toggles");
      modelRow.setAttribute("role", "group");
      modelRow.setAttribute("aria-label", "models");
      modelRow.appendChild(Chart.element("span", "memo-toggles-label", "models:"));
      keys.forEach(function (key, i) {
        var label = Chart.element("span");
        label.appendChild(Chart.swatch(colourClass(key, i)));
        label.appendChild(document.createTextNode(curves[key].name || key));
        var b = Chart.toggle(label, true, function (on) {
          state.models[key] = on;
          draw();
        });
        b.setAttribute("data-model", key);
        modelRow.appendChild(b);
      });
      controls.appendChild(modelRow);

      var lossRow = Chart.element("div", "memo-toggles");
      lossRow.setAttribute("role", "group");
      lossRow.setAttribute("aria-label", "curves");
      lossRow.appendChild(Chart.element("span", "memo-toggles-label", "loss:"));
      var tl = Chart.element("span");
      tl.appendChild(Chart.swatch("memo-baseline", null, { thin: true, faded: true }));
      tl.appendChild(document.createTextNode("training"));
      lossRow.appendChild(
        Chart.toggle(tl, true, function (on) {
          state.train = on;
          draw();
        }, "memo-train-toggle")
      );
      var vl = Chart.element("span");
      vl.appendChild(Chart.swatch("memo-baseline", null, { markers: true }));
      vl.appendChild(document.createTextNode("validation"));
      lossRow.appendChild(
        Chart.toggle(vl, true, function (on) {
          state.valid = on;
          draw();
        }, "memo-valid-toggle")
      );
      if (published) {
        var pl = Chart.element("span");
        pl.appendChild(Chart.swatch("memo-baseline", PUBLISHED_DASH));
        pl.appendChild(document.createTextNode("the original’s published curves (text8)"));
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
      var note = Chart.element("p", "memo-chart-note");
      body.appendChild(note);

      function zip(xs, ys) {
        var out = [];
        for (var i = 0; i < xs.length && i < ys.length; i++) if (ys[i] != null && xs[i] != null) out.push([xs[i], ys[i]]);
        return out;
      }

      function draw() {
        var series = [];
        var xName = state.x === "step" ? "mini-batch" : "time";
        keys.forEach(function (key, i) {
          if (!state.models[key]) return;
          var ours = curves[key];
          var name = ours.name || key;
          var cls = colourClass(key, i);
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
        var ourEnd = 0;
        keys.forEach(function (k) {
          var xs = curves[k][state.x] || [];
          if (xs.length) ourEnd = Math.max(ourEnd, xs[xs.length - 1]);
        });
        var text =
          "Our models (solid) train for " + (state.x === "step" ? count(ourEnd) + " mini-batches" : seconds(ourEnd)) + ".";
        if (published) {
          var theirEnd = 0;
          keys.forEach(function (k) {
            var c = published[k] && published[k].train;
            var xs = (c && c[state.x]) || [];
            if (xs.length) theirEnd = Math.max(theirEnd, xs[xs.length - 1]);
          });
          text +=
            " The original’s (dashed; published data of A. Madsen, Distill 2019, MIT licence) were trained and " +
            "validated on text8 for " +
            (state.x === "step" ? count(theirEnd) + " mini-batches" : seconds(theirEnd)) +
            " on a GPU, with larger models and mini-batches: compare the shapes, not the values.";
        }
        note.textContent = text;
      }
      draw();
      body.setAttribute("data-state", "ready");
    });
  });
})();
