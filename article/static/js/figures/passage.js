/* passage.js: the figure a ```passage block becomes (the original's figure 5).
 *
 * Every model's connectivity for one output position of the passage, side by side (stacked on a narrow
 * screen): each character is shaded by the connectivity between it and the chosen output character,
 * as a fraction of the largest value for that output (Memo.colour), and each panel lists the target
 * word and the model's three best guesses there. The reader chooses the output by hovering or tapping
 * a character, with the arrow keys on the focused text, with the highlight buttons, or through links
 * into the figure (memo:select). When data/published.json holds the same text (the original's P1), the
 * original text8 models' published connectivity is shown in extra panels, labelled as such.
 *
 * When training kept weights (the manifest's passage entry has "steps"), a "Training step" control
 * lists the kept steps and the final model (the default): choosing a step loads data/passages/<id>.steps.json
 * (once, never on the first view) and our models' panels show that step's connectivity and top-3 at the
 * selected position; the original's panels stay as published. The step joins the link:
 * #passage-grammar?position=28&step=300.
 *
 * Draws with Memo.PassageView (js/lib/68-passage-view.js), as the hero does.
 * Test hooks: .memo-panel[data-model], span.memo-char[data-index][data-value], the figure's
 * data-selected and data-step ("final" or the step shown), ol.memo-top3 > li[data-word][data-probability],
 * .memo-reset, .memo-highlight, select.memo-step.
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  var View = Memo.PassageView;
  var element = Memo.element;
  var button = Memo.button;

  var FINAL = "final";

  /** The manifest's entry of the passage's steps file ({file, steps, final}), or null when training kept
   * no weights. */
  function stepsOf(passageId) {
    var passages = (Memo.manifest && Memo.manifest.passages) || [];
    for (var i = 0; i < passages.length; i++) {
      var steps = passages[i].id === passageId && passages[i].steps;
      if (steps && steps.file && steps.steps && steps.steps.length) return steps;
    }
    return null;
  }

  /**
   * The training-step control: a <select> of the kept steps and the final model. Choosing a step loads
   * the steps file (Memo.load, cached) and puts each of `keys`' panels at that step. -> {element, step(),
   * choose(value)}; choose returns a promise that settles once the panels show the step.
   */
  function stepControl(figure, view, passage, keys, words, steps) {
    var box = element("div", "memo-step-control");
    var label = element("label", "memo-step-label", "Training step ");
    var select = element("select", "memo-step");
    select.id = (figure.id || "passage") + "-step";
    label.setAttribute("for", select.id);
    select.setAttribute("aria-label", "Training step");
    steps.steps.forEach(function (step) {
      var option = element("option", null, "step " + step);
      option.value = String(step);
      select.appendChild(option);
    });
    var last = element("option", null, "final (step " + steps.final + ")");
    last.value = FINAL;
    select.appendChild(last);
    select.value = FINAL;
    var status = element("span", "memo-step-status");
    status.setAttribute("role", "status");
    box.appendChild(label);
    box.appendChild(select);
    box.appendChild(status);
    var shown = FINAL;
    var finals = {};
    keys.forEach(function (key) {
      finals[key] = View.ourPanel(passage, key, passage.models[key], words);
    });
    var wanted = FINAL;

    function show(value, data) {
      keys.forEach(function (key) {
        var entry = value === FINAL ? null : data.models[key] && data.models[key][value];
        view.replace(key, entry ? View.ourPanel(passage, key, entry, words) : finals[key]);
      });
      shown = value;
      select.value = value;
      figure.setAttribute("data-step", value);
      status.textContent = value === FINAL ? "" : "weights kept at step " + value + " of " + steps.final;
      Memo.saveState(figure);
    }

    function choose(value) {
      wanted = value;
      if (value === FINAL) {
        show(FINAL, null);
        return Promise.resolve();
      }
      figure.setAttribute("aria-busy", "true");
      status.textContent = "loading the training steps…";
      return Memo.load(steps.file).then(
        function (data) {
          figure.removeAttribute("aria-busy");
          if (wanted === value) show(value, data); // a later choice wins
        },
        function (error) {
          figure.removeAttribute("aria-busy");
          console.warn("memo: the training steps of passage " + passage.id + " could not be loaded", error);
          select.value = shown;
          status.textContent = "The training steps could not be loaded.";
        }
      );
    }

    select.addEventListener("change", function () {
      choose(select.value);
    });
    figure.setAttribute("data-step", FINAL);
    return {
      element: box,
      step: function () {
        return shown;
      },
      choose: choose,
    };
  }

  Memo.register("passage", function (figure) {
    var body = figure.querySelector(".figure-body");
    if (!body) {
      body = element("div", "figure-body");
      figure.insertBefore(body, figure.querySelector("figcaption"));
    }
    body.classList.add("memo-fig"); // figures.css styles only bodies with this class
    var src = figure.getAttribute("data-src") || "data/passages/" + figure.getAttribute("data-passage") + ".json";
    body.setAttribute("data-state", "loading");
    // A link may select a position before the data is here: remember the last one.
    var early = View.earlySelection(figure);

    return Promise.all([
      Memo.load(src),
      Memo.vocab(),
      Memo.load(View.PUBLISHED).catch(function () {
        return null; // the reference data is optional
      }),
    ]).then(function (loaded) {
      var passage = loaded[0];
      var words = loaded[1];
      var published = loaded[2];
      var pending = early();
      var keys = (figure.getAttribute("data-models") || Object.keys(passage.models).join(","))
        .split(",")
        .map(function (k) {
          return k.trim();
        })
        .filter(function (k) {
          return passage.models[k];
        });
      var position = parseInt(figure.getAttribute("data-position"), 10);
      if (!(position >= 0)) position = passage.position >= 0 ? passage.position : 0;
      var highlights = View.integers(figure.getAttribute("data-highlights"));
      if (!highlights.length && passage.highlights) highlights = passage.highlights.slice();

      body.textContent = "";
      body.classList.add("memo-passage");
      var view = View.create(figure, body, { text: passage.text, initial: position });
      body.appendChild(view.controls(highlights));
      var steps = stepsOf(passage.id);
      var control = steps && keys.length ? stepControl(figure, view, passage, keys, words, steps) : null;
      if (control) body.appendChild(control.element);
      var ours = element("div", "memo-panels");
      body.appendChild(ours);
      keys.forEach(function (key) {
        view.addPanel(View.ourPanel(passage, key, passage.models[key], words), ours);
      });

      var reference = published && published.passage;
      if (reference && reference.text === passage.text && reference.models) {
        var section = element("div", "memo-published");
        var toggle = button("memo-toggle memo-published-toggle", "The original’s published results");
        toggle.setAttribute("aria-pressed", "true");
        var group = element("div", "memo-published-body");
        group.id = (figure.id || "passage") + "-published";
        toggle.setAttribute("aria-controls", group.id);
        var credit = element(
          "p",
          "memo-credit",
          "The same passage through the original’s models, trained on text8 (published data of " +
            "A. Madsen, “Visualizing memorization in RNNs”, Distill 2019, MIT licence): not our results."
        );
        if (published.credit) credit.title = published.credit;
        group.appendChild(credit);
        var theirs = element("div", "memo-panels");
        group.appendChild(theirs);
        Object.keys(reference.models)
          .filter(function (key) {
            return keys.indexOf(key) >= 0 || !keys.length;
          })
          .forEach(function (key) {
            view.addPanel(View.publishedPanel(key, reference.models[key]), theirs);
          });
        toggle.addEventListener("click", function () {
          var shown = toggle.getAttribute("aria-pressed") !== "true";
          toggle.setAttribute("aria-pressed", String(shown));
          group.hidden = !shown;
        });
        section.appendChild(toggle);
        section.appendChild(group);
        body.appendChild(section);
      }
      body.appendChild(View.legend());
      view.select(pending != null ? pending : View.linkedPosition(figure, passage.text.length, position));
      View.keepPosition(figure, view, function () {
        return control && control.step() !== FINAL ? { step: control.step() } : {}; // final: no step
      });
      body.setAttribute("data-state", "ready");
      figure.memoView = view;
      if (control) {
        var linked = Memo.linkedState(figure, {
          step: Memo.linkChoice(steps.steps.map(String).concat([FINAL])),
        });
        if (linked.step && linked.step !== FINAL) return control.choose(linked.step);
      }
    });
  });
})();
