/* owntext.js: figure kind `owntext` (new in this edition): the reader's own text, and for any output
 * position, how much each earlier character matters to every model's prediction there (connectivity).
 *
 * The `connectivity` graph takes (chars int64[n], position int64[], target int64[]) and returns the
 * connectivity of each character to the logit of `target` at `position`, and the top-3 words there. The
 * RNN is causal, so only chars[0..position] are sent. The target is the word being typed at the position
 * (a space belongs to the word after it, as in build/precompute.py passage_targets) when it is in the
 * vocabulary; otherwise -1, which the graph itself replaces by the model's own top-1 (top_ids[0]), so one
 * run answers either case. Results are cached per (model, position) until the text changes; runs are
 * serialised and coalesced to the latest (text, position); typing is debounced, and a new text selects
 * its last character (where the reader types). The models run one after another, those whose panel is on
 * screen first, and each panel shows its result when its model is done (the body's data-first-ms: input
 * to the first panel; data-ms: to the last). A run keeps the page's one thread busy, so when the runs of a
 * job are expected to take longer than Memo.PROGRESS_MS (from each model's last time per character; a model
 * not timed yet is expected to be slow when its download is large), the status line shows a progress
 * bar of the models done before the first run starts; typing again, or choosing another position, drops
 * the runs not started yet (the one under way cannot be stopped).
 */
(function () {
  "use strict";

  var DEFAULT_TEXT =
    "The children walked to the old school by the river every morning, and in the evening they walked home again.";
  var DEBOUNCE_MS = 150;

  var element = Memo.element;
  var percent = Memo.percent;
  var label = Memo.wordLabel;

  /** The text alternative of one panel: the position and the word read there, the word explained, the
   * shares of connectivity before that word and on it, the strongest character, the top guesses. */
  function describe(name, text, values, position, targetWord, own, guesses) {
    var shares = Memo.connectivityShares(text, values, position);
    var w = Memo.wordAt(text, position);
    var out = name + ", output at index " + position + " (“" + w.read + "|" + w.rest + "”), explaining “" +
      targetWord + "”" + (own ? " (its own top guess)" : "");
    if (shares.strongest < 0) out += ": no connectivity.";
    else {
      out += ": " + percent(shares.before) + " of the connectivity lies on the " + Math.max(0, w.start) +
        " characters before the word, " + percent(shares.word) + " on the word itself; the strongest is index " +
        shares.strongest + ", " + Memo.characterName(text, shares.strongest) + ".";
    }
    return out + " Top guesses: " + guesses.join(", ") + ".";
  }

  Memo.register("owntext", function (figure, Memo) {
    var models = Memo.models();
    if (!models.length) throw new Error("the page has no models");
    var defaultText = figure.getAttribute("data-text") || DEFAULT_TEXT;
    var uid = "memo-own-" + Math.random().toString(36).slice(2, 8);
    // A link to a state of this figure (#owntext?text=...&position=12) starts it there; a position counts
    // the characters of the text as the figure reads it, its leading space included.
    var linked = Memo.linkedState(figure, {
      text: Memo.linkText,
      position: function (raw, values) {
        return Memo.linkPosition(raw, Memo.prepare("text" in values ? values.text : defaultText, false).text.length);
      },
    });
    var linkedPosition = linked.position; // used once, by the first text

    var body = Memo.liveBody(figure, "memo-owntext");

    var input = Memo.textInput(
      uid + "-input",
      3,
      "text" in linked ? linked.text : defaultText,
      "Your text; every model's connectivity updates as you type"
    );
    body.appendChild(input);
    var controls = element("div", "memo-controls");
    var reset = Memo.button("memo-reset", "reset");
    reset.setAttribute("aria-label", "Reset the text");
    var hint = element(
      "span",
      "memo-hint",
      "Hover or tap a character, or use the arrow keys in a model's text, to choose the output position."
    );
    controls.appendChild(reset);
    var table = Memo.tableMode(body, "Connectivity of each character of your text");
    controls.appendChild(table.button);
    controls.appendChild(hint);
    body.appendChild(controls);
    body.appendChild(table.element);
    var note = Memo.liveNote(body);

    var status = Memo.liveStatus(body, "The models load when this figure comes into view.");

    var panels = models.map(function (m, i) {
      var panel = element("div", "memo-panel " + Memo.colourClass(m.key, i));
      panel.setAttribute("data-model", m.key);
      var name = Memo.heading(figure, "memo-panel-name", m.name || m.key);
      name.id = uid + "-" + m.key;
      var text = element("div", "memo-text");
      text.tabIndex = 0;
      text.setAttribute("role", "group");
      text.setAttribute("aria-labelledby", name.id);
      text.setAttribute("aria-description", "Connectivity of each character; " + Memo.POSITION_KEYS);
      // What the shading shows, in words and numbers, for screen readers (updated with every result).
      var summary = element("p", "memo-summary visually-hidden");
      summary.id = uid + "-" + m.key + "-summary";
      text.setAttribute("aria-describedby", summary.id);
      var target = element("p", "memo-target");
      var top3 = element("ol", "memo-top3");
      top3.setAttribute("aria-label", m.name + ": the three most likely words at the chosen position");
      panel.appendChild(name);
      panel.appendChild(text);
      panel.appendChild(target);
      panel.appendChild(top3);
      panel.appendChild(summary);
      body.appendChild(panel);
      return {
        key: m.key, name: m.name || m.key, panel: panel, text: text, target: target, top3: top3, summary: summary,
        spans: [],
      };
    });

    var words = null;
    var wordIds = null; // word -> class id
    var text = ""; // the text asked for (" " + normalised)
    var drawn = null; // the text the panels' characters show
    var selected = -1;
    var cache = {}; // "key|position" -> result, for the current text
    var firstShown = null; // the job whose first panel is shown (its time: the body's data-first-ms)
    var queue = Memo.liveQueue(body, update, render, function (error) {
      status.fail(error, "owntext:", "The models could not run: ");
    });
    var debounce = null;
    var loadedModels = false;

    function setState(state) {
      body.setAttribute("data-state", state);
    }

    var fractions = {};
    function progressFor(key) {
      return function (fraction, what) {
        if (body.getAttribute("data-state") === "error") return;
        fractions[key] = fraction;
        var keys = Object.keys(fractions);
        var mean = keys.reduce(function (s, k) { return s + fractions[k]; }, 0) / models.length;
        status.show(mean, what);
      };
    }

    function drawText() {
      drawn = text;
      panels.forEach(function (p) {
        p.spans = Memo.connectivityText(p.text, text, text.length); // 67-connectivity.js
        p.spans.forEach(function (span) {
          span.setAttribute("data-raw", "0");
        });
        p.target.textContent = "";
        p.top3.textContent = "";
        p.summary.textContent = "";
      });
    }

    /** Text changed (debounced): redraw the characters and ask for the selected position. */
    function takeText() {
      debounce = null;
      var prepared = Memo.prepare(input.value, false);
      note.show(prepared);
      if (prepared.text !== text) {
        text = prepared.text;
        cache = {};
        if (!queue.updates) drawText(); // later the old colours stay until the new ones are ready
        selected = text.length - 1; // a new text: the prediction at its end, where the reader types
        if (linkedPosition !== undefined && linkedPosition < text.length) selected = linkedPosition;
        linkedPosition = undefined;
      }
      ask();
    }

    function select(position) {
      if (!text) return;
      position = Math.max(0, Math.min(text.length - 1, position));
      if (position === selected && queue.wanted === null) return;
      selected = position;
      ask();
      Memo.saveState(figure);
    }

    Memo.keepState(figure, function () {
      return { text: text.slice(1), position: selected >= 0 ? selected : null };
    });
    var shown = null; // the job and results the panels show
    Memo.keepData(figure, function () {
      if (!shown || !shown.job.text) return { json: { text: "", models: [] }, csv: null };
      var job = shown.job;
      var found = models.filter(function (m) {
        return shown.results[m.key];
      }).map(function (m) {
        var r = shown.results[m.key];
        return {
          model: m.key,
          name: m.name,
          target: words ? words[r.target] : r.target,
          own_guess: !!r.own,
          top: r.topIds.map(function (id, k) {
            return { word: words ? words[id] : id, probability: r.topProbs[k] };
          }),
          connectivity: Array.from(r.values).slice(0, job.position + 1),
        };
      });
      var table = [["index", "character"].concat(found.map(function (f) {
        return f.name + " connectivity";
      }))];
      for (var j = 0; j <= job.position; j++) {
        table.push([j, job.text[j]].concat(found.map(function (f) {
          return f.connectivity[j];
        })));
      }
      return { json: { text: job.text, position: job.position, models: found }, csv: Memo.csv(table) };
    });

    function ask() {
      queue.ask({ text: text, position: selected });
    }

    var begin = Memo.askingFirst(
      status,
      function () {
        var keys = models.map(function (m) { return m.key; });
        return {
          download: Memo.downloadBytes(keys, "connectivity"),
          what: (Memo.ort ? "" : "the runtime and ") + keys.length + " model" + (keys.length > 1 ? "s" : ""),
        };
      },
      function () {
        if (queue.started) return;
        queue.started = true;
        ask();
      }
    );

    async function loadAll() {
      if (loadedModels) return;
      setState("loading");
      var loading = models.map(function (m) {
        return Memo.session(m.key, "connectivity", progressFor(m.key));
      });
      loading.push(Memo.vocab());
      var parts = await Promise.all(loading);
      words = parts[parts.length - 1];
      wordIds = new Map();
      words.forEach(function (word, id) {
        wordIds.set(word, id);
      });
      loadedModels = true;
    }

    var msPerChar = {}; // model key -> the last run's milliseconds per character

    /** Whether the runs of `order` for `job` are expected to take longer than Memo.PROGRESS_MS. */
    function expectedSlow(order, job) {
      var total = 0;
      for (var i = 0; i < order.length; i++) {
        var key = order[i].key;
        if (cache[key + "|" + job.position]) continue;
        if (key in msPerChar) total += msPerChar[key] * (job.position + 1);
        else if ((Memo.model(key).weights_file || {}).bytes > Memo.AUTOLOAD_BYTES) return true;
      }
      return total > Memo.PROGRESS_MS;
    }

    async function compute(job) {
      await loadAll();
      var ort = Memo.ort;
      var word = Memo.wordAt(job.text, job.position).word;
      var id = wordIds.has(word) ? wordIds.get(word) : -1;
      var target = id >= 2 ? id : -1; // 0 <eos> and 1 <unknown> are not words to explain
      var results = {};
      var allCached = models.every(function (m) { return cache[m.key + "|" + job.position]; });
      var order = allCached ? models : inViewFirst(); // all cached: no run to order, the results are the same
      var slow = !allCached && expectedSlow(order, job);
      for (var i = 0; i < order.length; i++) {
        var key = order[i].key;
        var id2 = key + "|" + job.position;
        var fresh = !cache[id2];
        if (fresh) {
          if (job !== queue.wanted) return null; // the reader moved on: skip the other models' runs
          if (slow) {
            status.show(i / order.length, "Computing the " + (order[i].name || key) + " model (" + (i + 1) +
              " of " + order.length + ", " + (job.position + 1) + " characters)…");
            await Memo.painted();
            if (job !== queue.wanted) return null;
          }
          var session = await Memo.session(key, "connectivity");
          var chars = Memo.encode(job.text.slice(0, job.position + 1));
          var started = performance.now();
          var out = await Memo.run(session, {
            chars: new ort.Tensor("int64", chars, [chars.length]),
            position: new ort.Tensor("int64", BigInt64Array.of(BigInt(job.position)), []),
            target: new ort.Tensor("int64", BigInt64Array.of(BigInt(target)), []),
          });
          msPerChar[key] = (performance.now() - started) / chars.length;
          if (job.text !== text) return null; // the text changed meanwhile: do not cache a stale result
          var topIds = Array.from(out.top_ids.data, Number);
          cache[id2] = {
            values: new Float32Array(out.connectivity.data),
            topIds: topIds,
            topProbs: Array.from(out.top_probs.data),
            word: word,
            target: target >= 0 ? target : topIds[0],
            own: target < 0,
          };
        }
        results[key] = cache[id2];
        // A slow model (paper size) need not hold back the others: show each panel as it is done.
        if (fresh && i < order.length - 1 && job === queue.wanted) render(job, results);
      }
      return results;
    }

    /** The models, those whose panel is on screen first (the reader sees them computed first). */
    function inViewFirst() {
      var shown = panels.map(function (p) {
        var box = p.panel.getBoundingClientRect();
        return box.bottom > 0 && box.top < (window.innerHeight || document.documentElement.clientHeight);
      });
      return models.filter(function (m, i) { return shown[i]; })
        .concat(models.filter(function (m, i) { return !shown[i]; }));
    }

    /** The connectivity of every model for a job, {} for no text; null when the reader moved on meanwhile
     * (a job the queue no longer shows). */
    function update(job) {
      return job.text && job.position >= 0 && job.position < job.text.length ? compute(job) : {};
    }

    /** Shows the results of a job on the panels; while some models still run (no result yet), their
     * panels say they are computing. */
    function render(job, results) {
      shown = { job: job, results: results };
      table.show(job.text, job.text.length, job.position, models.filter(function (m) {
        return results[m.key];
      }).map(function (m) {
        var r = results[m.key];
        return {
          name: m.name || m.key,
          row: r.values,
          top: function (i) {  // known at the selected position only
            return i !== job.position ? null : r.topIds.map(function (id, k) {
              return { word: label(words[id]), probability: r.topProbs[k] };
            });
          },
        };
      }));
      if (firstShown !== job) {
        firstShown = job; // input -> the first model's panel shown (data-ms: -> every model's)
        body.setAttribute("data-first-ms", (performance.now() - job.since).toFixed(1));
      }
      var pending = models.length - Object.keys(results).length;
      status.text.textContent = pending ? "Computing " + pending + " more model" + (pending > 1 ? "s" : "") + "…" : "";
      status.progress.value = 1 - pending / models.length;
      if (!pending) status.progress.hidden = true;
      if (!job.text) {
        if (drawn !== job.text) drawText();
        body.removeAttribute("data-selected");
        status.text.textContent = "Type some text to see its connectivity.";
        return;
      }
      if (drawn !== job.text) drawText();
      body.setAttribute("data-selected", String(job.position));
      panels.forEach(function (p) {
        var result = results[p.key];
        p.panel.toggleAttribute("aria-busy", !result);
        if (!result) {
          p.target.textContent = "Computing…";
          return;
        }
        Memo.paintConnectivity(p.spans, result.values, job.position, true); // 67-connectivity.js
        var targetWord = words[result.target];
        p.panel.setAttribute("data-target", String(result.target)); // the class whose logit is explained
        p.target.textContent = result.own
          ? "Explaining its own top guess “" + label(targetWord) + "”" +
            (result.word ? ": “" + result.word + "” is not in its vocabulary." : ".")
          : "Explaining “" + targetWord + "”, the word being typed.";
        var guesses = result.topIds.map(function (id, k) {
          return label(words[id]) + " " + percent(result.topProbs[k]);
        });
        p.summary.textContent = describe(p.name, job.text, result.values, job.position, label(targetWord), result.own, guesses);
        p.top3.textContent = "";
        result.topIds.forEach(function (id, k) {
          var item = element("li", "memo-top");
          item.setAttribute("data-word", words[id]);
          item.setAttribute("data-probability", String(result.topProbs[k]));
          item.appendChild(element("span", "memo-word", label(words[id])));
          item.appendChild(element("span", "memo-probability", percent(result.topProbs[k])));
          p.top3.appendChild(item);
        });
      });
    }

    input.addEventListener("input", function () {
      begin();
      if (debounce) clearTimeout(debounce);
      debounce = setTimeout(function () {
        takeText();
        Memo.saveState(figure);
      }, DEBOUNCE_MS);
    });
    reset.addEventListener("click", function () {
      input.value = defaultText;
      begin();
      takeText();
      Memo.saveState(figure);
    });
    panels.forEach(function (p) {
      Memo.choosePosition(p.text, {
        selected: function () {
          return selected;
        },
        length: function () {
          return text.length;
        },
        select: select,
        activate: begin,
      });
    });
    figure.addEventListener("focusin", begin);
    figure.addEventListener("pointerdown", begin);
    takeText();
    Memo.whenVisible(figure, begin);
  });
})();
