/* hero.js: the opening figure (the original's figure 1): one model's connectivity over the first
 * characters of a passage, with buttons that select the output positions the article discusses.
 *
 * Data attributes: data-passage (id; data from data/passages/<id>.json, or data-src), data-model
 * (default: the manifest's first model, else the passage's first), data-chars (characters shown, default 70), data-links ("28 34": output indices offered
 * as buttons, each labelled by the word fragment read there and whether the model's connectivity lies
 * mostly on earlier words, long-term context, or on the letters of the word itself, short-term).
 * Draws with Memo.PassageView (js/lib/68-passage-view.js); same hooks as the passage figure.
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  /** Share of the output's connectivity that lies on the word being completed (its space and letters). */
  function shareInWord(text, rows, index) {
    return Memo.connectivityShares(text, rows[index] || [], index).word;
  }

  Memo.register("hero", function (figure) {
    var View = Memo.PassageView;
    var body = figure.querySelector(".figure-body");
    body.classList.add("memo-fig"); // figures.css styles only bodies with this class
    if (!View) throw new Error("hero.js needs js/lib/68-passage-view.js (Memo.PassageView)");
    var id = figure.getAttribute("data-passage") || "grammar";
    var src = figure.getAttribute("data-src") || "data/passages/" + id + ".json";
    var key = figure.getAttribute("data-model") || (Memo.models()[0] || {}).key;
    var chars = parseInt(figure.getAttribute("data-chars"), 10);
    if (!(chars > 0)) chars = 70;
    var links = View.integers(figure.getAttribute("data-links"));
    body.setAttribute("data-state", "loading");
    var early = View.earlySelection(figure);

    return Promise.all([Memo.load(src), Memo.vocab()]).then(function (loaded) {
      var passage = loaded[0];
      var words = loaded[1];
      var pending = early();
      key = key || Object.keys(passage.models)[0];
      var data = passage.models[key];
      if (!data) throw new Error("passage “" + id + "” has no model “" + key + "”");
      var text = passage.text;
      var length = Math.min(chars, text.length);
      links = links.filter(function (i) {
        return i < length;
      });
      var initial = links.length ? links[0] : Math.min(length - 1, passage.position >= 0 ? passage.position : 0);
      var position = parseInt(figure.getAttribute("data-position"), 10);
      if (position >= 0 && position < length) initial = position;
      var start = View.linkedPosition(figure, length, initial); // a link to #hero?position=34

      body.textContent = "";
      body.classList.add("memo-hero");
      var spec = View.ourPanel(passage, key, data, words);
      var view = View.create(figure, body, { text: text, length: length, initial: initial });
      var controls = view.controls(links, {
        label: function (i) {
          var kind = shareInWord(text, spec.rows, i) < 0.5 ? "long-term context" : "short-term context";
          var label = Memo.element("span");
          label.appendChild(document.createTextNode(kind + ": index " + i + " "));
          label.appendChild(Memo.element("span", "memo-fragment", View.fragment(text, i)));
          return label;
        },
      });
      body.appendChild(controls);
      view.addPanel(spec, body);
      body.appendChild(View.legend());
      view.select(pending != null ? pending : start);
      View.keepPosition(figure, view);
      body.setAttribute("data-state", "ready");
      figure.memoView = view;
    });
  });
})();
