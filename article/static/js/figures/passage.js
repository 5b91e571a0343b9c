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
 * Draws with Memo.PassageView (js/lib/68-passage-view.js), as the hero does.
 * Test hooks: .memo-panel[data-model], span.memo-char[data-index][data-value], the figure's
 * data-selected, ol.memo-top3 > li[data-word][data-probability], .memo-reset, .memo-highlight.
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  var View = Memo.PassageView;
  var element = Memo.element;
  var button = Memo.button;

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
      View.keepPosition(figure, view);
      body.setAttribute("data-state", "ready");
      figure.memoView = view;
    });
  });
})();
