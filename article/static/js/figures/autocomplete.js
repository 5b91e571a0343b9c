/* autocomplete.js: figure kind `autocomplete`, the original's figure 4 run live. Four stages: the text
 * typed -> the RNN reads it -> its output at the last character -> the top suggestions.
 *
 * The `autocomplete` graph takes (chars int64[n], state float32[S]) and returns the best words after the
 * last character and the state after it, so typing on runs only the new characters from the stored state.
 * The figure keeps a stack of (text, state, result) checkpoints per model, one per text it has shown:
 * deleting back to a shown text costs nothing, any other edit resumes from the longest checkpoint that is
 * still a prefix of the new text (the RNN is causal), and a fresh text starts from the zero state.
 * Runs are serialised and coalesced: while one runs, only the latest text waits.
 */
(function () {
  "use strict";

  var DEFAULT_TEXT = "parts of north africa";
  var SHOWN = 5; // suggestions listed
  var CELLS = 40; // characters drawn in the "RNN reads it" stage (the last ones)
  var element = Memo.element;
  var percent = Memo.percent;
  var label = Memo.wordLabel;

  /** The text after one press of "remove the last letters": the last word (before any trailing break)
   * is cut to its first two letters when longer, so the model has to complete it, and removed otherwise,
   * keeping the break before it, so the model predicts the next word. Repeated presses walk back:
   * "parts of north africa" -> "parts of north af" -> "parts of north " -> "parts of no" -> ... */
  function removeLastLetters(raw) {
    var text = Memo.normalise(raw).text;
    if (!text) return "";
    var kept = text.split(" ");
    var last = kept.pop();
    if (last.length > 2) return kept.concat([last.slice(0, 2)]).join(" ");
    return kept.length ? kept.join(" ") + " " : "";
  }

  function isSpecial(word) {
    return label(word) !== word; // <eos>, <unknown>
  }

  Memo.register("autocomplete", function (figure, Memo) {
    var models = Memo.models();
    if (!models.length) throw new Error("the page has no models");
    var defaultText = figure.getAttribute("data-text") || DEFAULT_TEXT;
    var requested = figure.getAttribute("data-model") || models[0].key;
    var defaultModel = Memo.modelIndex(requested) >= 0 ? requested : models[0].key;
    // A link to a state of this figure (#autocomplete?model=lstm&text=the+river) starts it there.
    var linked = Memo.linkedState(figure, { model: Memo.linkModel, text: Memo.linkText });
    var uid = "memo-ac-" + Math.random().toString(36).slice(2, 8);

    var body = Memo.liveBody(figure, "memo-autocomplete");

    function stage(number, title) {
      var section = element("section", "memo-stage");
      var heading = Memo.heading(figure, "memo-stage-title");
      heading.appendChild(element("span", "memo-stage-number", String(number)));
      heading.appendChild(document.createTextNode(" " + title));
      section.appendChild(heading);
      body.appendChild(section);
      return section;
    }

    // 1. the text typed
    var typed = stage(1, "The text typed");
    var input = Memo.textInput(
      uid + "-input",
      2,
      "text" in linked ? linked.text : defaultText,
      "Text for the model to complete; the suggestions update as you type"
    );
    typed.appendChild(input);
    var controls = element("div", "memo-controls");
    var modelLabel = element("label", "memo-model-label", "model ");
    var select = element("select", "memo-model");
    select.setAttribute("aria-label", "Model that reads the text");
    models.forEach(function (m, i) {
      var large = (m.download_bytes || 0) > Memo.AUTOLOAD_BYTES;
      var option = element("option", Memo.colourClass(m.key, i), (m.name || m.key) + (large ? " (" + Memo.megabytes(m.download_bytes) + ")" : ""));
      option.value = m.key;
      select.appendChild(option);
    });
    select.value = linked.model || defaultModel;
    modelLabel.appendChild(select);
    var remove = Memo.button("memo-remove", "remove the last letters");
    remove.setAttribute("aria-label", "Remove the last letters of the text");
    var reset = Memo.button("memo-reset", "reset");
    reset.setAttribute("aria-label", "Reset the text and the model");
    controls.appendChild(modelLabel);
    controls.appendChild(remove);
    controls.appendChild(reset);
    typed.appendChild(controls);
    var note = Memo.liveNote(typed);

    // 2. the RNN reads it
    var reads = stage(2, "The RNN reads it, one character at a time");
    var cells = element("div", "memo-cells");
    cells.setAttribute("role", "img");
    reads.appendChild(cells);

    // 3. the output at the last character
    var output = stage(3, "Its output at the last character");
    var strip = element("div", "memo-strip");
    strip.setAttribute("role", "img");
    output.appendChild(strip);
    var stripCaption = element("p", "memo-strip-caption");
    output.appendChild(stripCaption);

    // 4. the top suggestions
    var final = stage(4, "The top suggestions");
    var list = element("ol", "memo-suggestions");
    list.setAttribute("aria-live", "polite");
    list.setAttribute("aria-label", "Suggested words, most likely first");
    final.appendChild(list);

    var status = Memo.liveStatus(body, "The model loads when this figure comes into view.");

    var words = null; // class id -> word
    var checkpoints = {}; // model key -> [{text, state, top}], each text a prefix of the next
    var loaded = {}; // model keys whose session is ready
    var queue = Memo.liveQueue(body, suggestions, render, function (error) {
      status.fail(error, "autocomplete:", "The model could not run: ");
    });

    function setState(state) {
      body.setAttribute("data-state", state);
    }

    function request() {
      var prepared = Memo.prepare(input.value, true);
      note.show(prepared);
      remove.disabled = !prepared.text;
      queue.ask({ key: select.value, text: prepared.text });
    }

    var begin = Memo.askingFirst(
      status,
      function () {
        var runtime = Memo.ort ? "" : "the runtime and ";
        return {
          download: Memo.downloadBytes([select.value], "autocomplete"),
          what: runtime + "the " + Memo.model(select.value).name + " model",
        };
      },
      function () {
        if (queue.started) return;
        queue.started = true;
        request();
      }
    );

    async function suggestions(job) {
      if (!job.text) return null;
      if (!loaded[job.key]) setState("loading");
      var loading = [Memo.session(job.key, "autocomplete", status.show), words || Memo.vocab()];
      var parts = await Promise.all(loading);
      var session = parts[0];
      words = parts[1];
      loaded[job.key] = true;
      var stack = checkpoints[job.key] || (checkpoints[job.key] = []);
      while (stack.length && !job.text.startsWith(stack[stack.length - 1].text)) stack.pop();
      var last = stack.length ? stack[stack.length - 1] : null;
      if (last && last.text === job.text) return last.top;
      var size = Memo.model(job.key).state_size;
      var state = last ? last.state : new Float32Array(size);
      var chars = Memo.encode(job.text.slice(last ? last.text.length : 0));
      var ort = Memo.ort;
      var result = await Memo.run(session, {
        chars: new ort.Tensor("int64", chars, [chars.length]),
        state: new ort.Tensor("float32", state, [size]),
      });
      var top = {
        ids: Array.from(result.top_ids.data, Number),
        probs: Array.from(result.top_probs.data),
      };
      stack.push({ text: job.text, state: new Float32Array(result.state_out.data), top: top });
      return top;
    }

    function drawCells(text) {
      cells.textContent = "";
      var shown = text.length > CELLS ? text.slice(text.length - CELLS) : text;
      if (text.length > CELLS) cells.appendChild(element("span", "memo-cell memo-more", "…"));
      for (var i = 0; i < shown.length; i++) {
        var cell = element("span", "memo-cell" + (shown[i] === " " ? " memo-space" : ""), shown[i]);
        if (i === shown.length - 1) cell.classList.add("memo-last");
        cells.appendChild(cell);
      }
      cells.setAttribute(
        "aria-label",
        text ? "The model reads " + text.length + " characters, the first a space, and answers after the last." : "No text to read."
      );
    }

    function drawStrip(top) {
      strip.textContent = "";
      if (!top) {
        stripCaption.textContent = "";
        strip.setAttribute("aria-label", "No output.");
        return;
      }
      var largest = Math.max.apply(null, top.probs) || 1;
      var total = 0;
      top.ids.forEach(function (id, i) {
        var p = top.probs[i];
        total += p;
        var segment = element("span", "memo-segment");
        segment.style.flexGrow = String(p);
        segment.style.background = Memo.colour(p / largest);
        segment.style.color = Memo.textColour(p / largest);
        segment.title = label(words[id]) + " " + percent(p);
        if (p >= 0.08) segment.textContent = label(words[id]);
        strip.appendChild(segment);
      });
      var rest = element("span", "memo-segment memo-rest");
      rest.style.flexGrow = String(Math.max(0, 1 - total));
      rest.title = "all other words " + percent(Math.max(0, 1 - total));
      strip.appendChild(rest);
      // vocab.json's first two classes are <eos> and <unknown>: the vocabulary is the words after them
      var vocabulary = Math.max(0, words.length - 2).toLocaleString("en");
      stripCaption.textContent =
        "A probability for each of the " + vocabulary + " words (and for the end and unknown-word classes); the " +
        top.ids.length + " largest drawn, " +
        percent(Math.max(0, 1 - total)) + " left for all the others.";
      strip.setAttribute(
        "aria-label",
        "The " + top.ids.length + " most likely words take " + percent(total) + " of the probability, the first, “" +
          label(words[top.ids[0]]) + "”, " + percent(top.probs[0]) + "; all the others " +
          percent(Math.max(0, 1 - total)) + "."
      );
    }

    function drawList(text, top) {
      list.textContent = "";
      if (!top) return;
      var fragment = text.slice(text.lastIndexOf(" ") + 1);
      var largest = top.probs[0] || 1;
      for (var i = 0; i < Math.min(SHOWN, top.ids.length); i++) {
        var word = words[top.ids[i]];
        var p = top.probs[i];
        var item = element("li", "memo-suggestion");
        item.setAttribute("data-word", word);
        item.setAttribute("data-probability", String(p));
        var name = element("span", "memo-word");
        if (fragment && !isSpecial(word) && word.indexOf(fragment) === 0) {
          name.appendChild(element("span", "memo-typed", fragment));
          name.appendChild(document.createTextNode(word.slice(fragment.length)));
        } else {
          name.textContent = label(word);
        }
        if (isSpecial(word)) name.classList.add("memo-special");
        var bar = element("span", "memo-bar");
        var fill = element("span", "memo-fill");
        fill.style.width = (100 * p / largest).toFixed(1) + "%";
        fill.style.background = Memo.colour(p / largest);
        bar.appendChild(fill);
        item.appendChild(name);
        item.appendChild(bar);
        item.appendChild(element("span", "memo-probability", percent(p)));
        list.appendChild(item);
      }
    }

    function render(job, top) {
      drawCells(job.text);
      drawStrip(top);
      drawList(job.text, top);
      if (!job.text) status.text.textContent = "Type some text to see what the model suggests.";
      else status.text.textContent = ""; // also clears an earlier error: this run succeeded
    }

    /** What the reader changed: run the model on it and keep it in the address bar. */
    function changed() {
      begin();
      request();
      Memo.saveState(figure);
    }

    Memo.keepState(figure, function () {
      return { model: select.value, text: Memo.prepare(input.value, true).text.slice(1) };
    });
    Memo.keepData(figure, function () {
      var shown = Array.prototype.map.call(list.querySelectorAll("li[data-word]"), function (item) {
        return { word: item.getAttribute("data-word"), probability: Number(item.getAttribute("data-probability")) };
      });
      var rows = [["rank", "word", "probability"]].concat(shown.map(function (s, i) {
        return [i + 1, s.word, s.probability];
      }));
      return { json: { model: select.value, text: Memo.prepare(input.value, true).text, suggestions: shown }, csv: Memo.csv(rows) };
    });
    input.addEventListener("input", changed);
    select.addEventListener("change", changed);
    remove.addEventListener("click", function () {
      input.value = removeLastLetters(input.value);
      changed();
    });
    reset.addEventListener("click", function () {
      input.value = defaultText;
      select.value = defaultModel;
      changed();
    });
    figure.addEventListener("focusin", begin);
    figure.addEventListener("pointerdown", begin);
    drawCells(Memo.prepare(input.value, true).text);
    request();
    Memo.whenVisible(figure, begin);
  });
})();
