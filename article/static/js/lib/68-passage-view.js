/* 68-passage-view.js: Memo.PassageView, the view of a passage's connectivity that the passage figure
 * (js/figures/passage.js) and the hero (js/figures/hero.js) draw with: panels of the passage's text, one
 * per model (and per published model of the original), shaded by connectivity at the selected output
 * (67-connectivity.js), with each panel's target and top guesses, a readout, highlight buttons, reset,
 * the table mode (66-table.js), and the selected position in the link (75-links.js).
 */
(function () {
  "use strict";

  var Memo = window.Memo;

  var element = Memo.element;
  var button = Memo.button;
  var wordAt = Memo.wordAt;

  var PUBLISHED = "data/published.json";

  function integers(value) {
    return String(value || "")
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(function (part) {
        return parseInt(part, 10);
      })
      .filter(function (n) {
        return n >= 0;
      });
  }

  /** "gramma|r": the letters of the word read at `index`, a bar, the letters still to come. */
  function fragment(text, index) {
    var w = wordAt(text, index);
    return w.read + "|" + w.rest;
  }

  function percent(p) {
    p = Number(p) * 100;
    return (p >= 10 ? p.toFixed(0) : p.toFixed(1)) + "%";
  }

  function modelName(key) {
    var i = Memo.modelIndex(key);
    return i < 0 ? key : Memo.models()[i].name || key;
  }

  /**
   * The text alternative of one panel at output `index`, in numbers: the position and the word fragment
   * read there, the target, the shares of connectivity before the word and on it, the strongest
   * character, and the model's top guesses. `row`: that output's connectivity, one value per character.
   */
  function describe(title, text, row, index, target, guesses) {
    var shares = Memo.connectivityShares(text, row, index);
    var w = wordAt(text, index);
    var out = title + ", output at index " + index + " (“" + w.read + "|" + w.rest + "”)";
    if (target) out += ", target “" + target + "”";
    if (shares.strongest < 0) out += ": no connectivity.";
    else {
      var before = Math.max(0, w.start);
      out += ": " + percent(shares.before) + " of the connectivity lies on the " + before + " character" +
        (before === 1 ? "" : "s") + " before the word, " + percent(shares.word) + " on the word itself (its space" +
        (w.read.length ? " and the " + w.read.length + " letter" + (w.read.length === 1 ? "" : "s") + " read" : "") +
        "); the strongest is index " +
        shares.strongest + ", " + Memo.characterName(text, shares.strongest) + ".";
    }
    if (guesses && guesses.length) {
      out += " Top guesses: " + guesses.map(function (g) {
        return g.word + " " + percent(g.probability);
      }).join(", ") + ".";
    }
    return out;
  }

  /** A colour-scale legend: the ramp from no connection to the output's largest connection. */
  function legend() {
    var box = element("div", "memo-legend");
    var label = element("span", "memo-legend-label", "connectivity to the output, as a share of its largest value:");
    var scale = element("span", "memo-legend-scale");
    var stops = [];
    for (var i = 0; i <= 10; i++) stops.push(Memo.colour(i / 10) + " " + i * 10 + "%");
    var ramp = element("span", "memo-legend-ramp");
    ramp.style.background = "linear-gradient(to right, " + stops.join(", ") + ")";
    ramp.setAttribute("aria-hidden", "true");
    scale.appendChild(element("span", "memo-legend-end", "0"));
    scale.appendChild(ramp);
    scale.appendChild(element("span", "memo-legend-end", "largest"));
    var output = element("span", "memo-legend-output");
    var sample = element("span", "memo-char memo-selected memo-legend-sample", "a");
    sample.setAttribute("aria-hidden", "true");
    output.appendChild(sample);
    output.appendChild(document.createTextNode(" output character"));
    box.appendChild(label);
    box.appendChild(scale);
    box.appendChild(output);
    return box;
  }

  /**
   * Memo.PassageView.create(figure, body, options) -> view. options:
   *   text       the passage (with its leading space)
   *   length     characters shown (default: all); positions are clamped to them
   *   initial    the output index selected at first and by reset
   * view.addPanel(spec, parent) adds a panel; spec:
   *   key        data-model of the panel (a model's key, or "published-" + key for the original's)
   *   colour     the model's colour class (Memo.colourClass), for our models' panels
   *   title      heading; note: a line under it (optional)
   *   rows       decoded connectivity rows (Memo.decodeRows)
   *   target(i)  -> {word, note} the word the output at i asks for
   *   top(i)     -> [{word, probability}] the model's best guesses at i
   *   compact    no target line
   * view.select(i), view.reset(), view.selected, view.onChange(fn), view.controls(highlights, {label(i)}),
   * view.replace(key, spec): panel `key` shows another spec's data (another training step's), repainted at
   * the selected position:
 * a readout, one button per highlighted index (label(i) -> string or Node; default "34: gramma|r"), reset,
 * and the table mode's toggle (66-table.js).
   * The figure's data-selected attribute follows the selection; memo:select events on the figure select.
   */
  function create(figure, body, options) {
    var text = options.text;
    var length = Math.max(1, Math.min(text.length, options.length || text.length));
    var clamp = function (i) {
      return Math.max(0, Math.min(length - 1, i | 0));
    };
    var initial = clamp(options.initial == null ? length - 1 : options.initial);
    var panels = [];
    var listeners = [];
    var view = { text: text, length: length, initial: initial, selected: -1, panels: panels };

    function drawText(spec) {
      var box = element("div", "memo-text");
      box.setAttribute("tabindex", panels.length === 0 ? "0" : "-1");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", spec.title + ": the passage; " + Memo.POSITION_KEYS);
      return { box: box, chars: Memo.connectivityText(box, text, length) };
    }

    view.addPanel = function (spec, parent) {
      var panel = element("div", "memo-panel" + (spec.colour ? " " + spec.colour : ""));
      panel.setAttribute("data-model", spec.key);
      var head = element("div", "memo-panel-head");
      head.appendChild(Memo.heading(figure, "memo-panel-title", spec.title));
      if (spec.note) head.appendChild(element("span", "memo-panel-note", spec.note));
      panel.appendChild(head);
      var drawn = drawText(spec);
      panel.appendChild(drawn.box);
      // What the shading shows, in words and numbers, for screen readers (updated with the selection).
      var summary = element("p", "memo-summary visually-hidden");
      summary.id = (figure.id || "memo-passage") + "-" + spec.key + "-summary";
      drawn.box.setAttribute("aria-describedby", summary.id);
      panel.appendChild(summary);
      var prediction = element("div", "memo-prediction");
      var target = null;
      if (!spec.compact) {
        target = element("p", "memo-target");
        prediction.appendChild(target);
      }
      var list = element("ol", "memo-top3");
      list.setAttribute("aria-label", spec.title + ": the three most likely words");
      prediction.appendChild(list);
      panel.appendChild(prediction);
      (parent || body).appendChild(panel);
      var entry = {
        spec: spec, element: panel, chars: drawn.chars, text: drawn.box, target: target, list: list, summary: summary,
      };
      panels.push(entry);
      wire(drawn.box);
      if (view.selected >= 0) paint(entry, view.selected);
      return panel;
    };

    function paint(entry, index) {
      var row = entry.spec.rows[index] || [];
      Memo.paintConnectivity(entry.chars, row, index);
      var wanted = entry.spec.target(index) || {};
      if (entry.target) {
        entry.target.textContent = "";
        entry.target.appendChild(element("span", "memo-target-label", "target "));
        entry.target.appendChild(element("b", "memo-target-word", wanted.word || "–"));
        if (wanted.note) entry.target.appendChild(element("span", "memo-target-note", " " + wanted.note));
      }
      var guesses = entry.spec.top(index) || [];
      entry.summary.textContent = describe(entry.spec.title, text, row, index, wanted.word, guesses);
      entry.list.textContent = "";
      guesses.forEach(function (guess) {
        var item = element("li");
        item.setAttribute("data-word", guess.word);
        item.setAttribute("data-probability", String(guess.probability));
        if (wanted.word && guess.word === wanted.word) item.classList.add("memo-hit");
        item.appendChild(element("span", "memo-guess", guess.word));
        var bar = element("span", "memo-bar");
        var fill = element("span", "memo-bar-fill");
        fill.style.width = Math.max(0, Math.min(100, guess.probability * 100)).toFixed(1) + "%";
        bar.appendChild(fill);
        bar.setAttribute("aria-hidden", "true");
        item.appendChild(bar);
        item.appendChild(element("span", "memo-probability", percent(guess.probability)));
        entry.list.appendChild(item);
      });
    }

    view.select = function (index) {
      index = clamp(index);
      if (index === view.selected) return;
      view.selected = index;
      figure.setAttribute("data-selected", String(index));
      panels.forEach(function (entry) {
        paint(entry, index);
      });
      listeners.forEach(function (fn) {
        fn(index);
      });
    };
    view.reset = function () {
      view.select(initial);
    };
    view.replace = function (key, spec) {
      panels.forEach(function (entry) {
        if (entry.spec.key !== key) return;
        entry.spec = spec;
        if (view.selected >= 0) paint(entry, view.selected);
      });
      // The readout, the table and the link follow the new data too.
      if (view.selected >= 0) {
        listeners.forEach(function (fn) {
          fn(view.selected);
        });
      }
    };
    view.onChange = function (fn) {
      listeners.push(fn);
    };

    // Hover, tap and keys on the text choose the output (67-connectivity.js).
    function wire(box) {
      Memo.choosePosition(box, {
        selected: function () {
          return view.selected;
        },
        length: function () {
          return length;
        },
        select: view.select,
      });
    }

    figure.addEventListener("memo:select", function (event) {
      var position = event.detail && event.detail.position;
      if (position >= 0) view.select(position);
    });

    /** A readout line, a reset button and one button per highlighted index. */
    view.controls = function (highlights, settings) {
      settings = settings || {};
      var bar = element("div", "memo-controls");
      var readout = element("p", "memo-readout");
      readout.setAttribute("aria-live", "polite");
      bar.appendChild(readout);
      var buttons = element("div", "memo-buttons");
      buttons.setAttribute("role", "group");
      buttons.setAttribute("aria-label", "output positions");
      var highlightButtons = [];
      highlights
        .filter(function (i) {
          return i < length;
        })
        .forEach(function (i) {
          var label = settings.label ? settings.label(i) : i + ": " + fragment(text, i);
          var b = button("memo-highlight", typeof label === "string" ? label : null);
          if (typeof label !== "string") b.appendChild(label);
          b.setAttribute("data-position", String(i));
          b.setAttribute("aria-pressed", "false");
          b.title = "output index " + i + ", the word read so far: “" + fragment(text, i) + "”";
          b.addEventListener("click", function () {
            view.select(i);
          });
          buttons.appendChild(b);
          highlightButtons.push(b);
        });
      var reset = button("memo-reset", "Reset");
      reset.title = "back to output index " + initial;
      reset.addEventListener("click", function () {
        view.reset();
      });
      buttons.appendChild(reset);
      // Table mode (66-table.js): a row per character, each panel's connectivity and top predictions.
      var table = Memo.tableMode(body, "Connectivity of each character");
      buttons.appendChild(table.button);
      bar.appendChild(buttons);
      bar.appendChild(table.element);
      view.onChange(function (index) {
        table.show(text, length, index, panels.map(function (entry) {
          return { name: entry.spec.title, row: entry.spec.rows[index] || [], top: entry.spec.top };
        }));
      });
      function update(index) {
        var w = wordAt(text, index);
        readout.textContent = "";
        readout.appendChild(document.createTextNode("Output at index " + index + ": "));
        var frag = element("span", "memo-fragment");
        frag.appendChild(document.createTextNode(w.read));
        frag.appendChild(element("span", "memo-cursor", "|"));
        frag.appendChild(document.createTextNode(w.rest));
        readout.appendChild(frag);
        readout.appendChild(
          document.createTextNode(
            w.read.length === 0
              ? " (no letter of the word read yet)"
              : " (" + w.read.length + " letter" + (w.read.length === 1 ? "" : "s") + " read)"
          )
        );
        highlightButtons.forEach(function (b) {
          b.setAttribute("aria-pressed", String(parseInt(b.getAttribute("data-position"), 10) === index));
        });
      }
      view.onChange(update);
      if (view.selected >= 0) update(view.selected);
      return bar;
    };

    return view;
  }

  /** Remembers the last position a link selects (memo:select) on a figure whose view is not drawn yet:
   * -> a function that stops listening and returns that position (null: none). */
  function earlySelection(figure) {
    var pending = null;
    var early = function (event) {
      if (event.detail && event.detail.position >= 0) pending = event.detail.position;
    };
    figure.addEventListener("memo:select", early);
    return function () {
      figure.removeEventListener("memo:select", early);
      return pending;
    };
  }

  /** Panel spec of one of our models' entry in a passage file. */
  function ourPanel(passage, key, data, words) {
    var rows = Memo.decodeRows(data.connectivity);
    return {
      key: key,
      title: modelName(key),
      colour: Memo.colourClass(key),
      rows: rows,
      target: function (i) {
        var w = wordAt(passage.text, i);
        var id = passage.targets ? passage.targets[i] : null;
        if (id === -1 || id == null) {
          var top = data.top_ids[i] && words[data.top_ids[i][0]];
          return {
            word: w.word,
            note: "(not in the model’s vocabulary; shading for its top guess" + (top ? " “" + top + "”" : "") + ")",
          };
        }
        return { word: words[id] != null ? words[id] : w.word };
      },
      top: function (i) {
        var ids = data.top_ids[i] || [];
        var probs = data.top_probs[i] || [];
        return ids.map(function (id, k) {
          return { word: words[id] != null ? words[id] : "#" + id, probability: probs[k] };
        });
      },
    };
  }

  /** Panel spec of one of the original's models in data/published.json. */
  function publishedPanel(key, data) {
    var rows = Memo.decodeRows(data.connectivity);
    return {
      key: "published-" + key,
      title: (data.name || key) + " (original)",
      note: "text8, published",
      rows: rows,
      target: function (i) {
        return { word: (data.targets || [])[i] };
      },
      top: function (i) {
        var words = (data.top_words || [])[i] || [];
        var probs = (data.top_probs || [])[i] || [];
        return words.map(function (word, k) {
          return { word: word, probability: probs[k] };
        });
      },
    };
  }

  Memo.PassageView = {
    PUBLISHED: PUBLISHED,
    publishedPanel: publishedPanel,
    create: create,
    fragment: fragment,
    legend: legend,
    ourPanel: ourPanel,
    integers: integers,
    earlySelection: earlySelection,
    linkedPosition: linkedPosition,
    keepPosition: keepPosition,
  };

  /** The position a link to this figure names (#passage-grammar?position=28), if it is one of its first
   * `length` characters, else `fallback`. */
  function linkedPosition(figure, length, fallback) {
    var linked = Memo.linkedState(figure, {
      position: function (raw) {
        return Memo.linkPosition(raw, length);
      },
    });
    return "position" in linked ? linked.position : fallback;
  }

  /** From now on the address bar follows the selected position (a link to it: Memo.stateLink), with
   * the parameters more() gives (the passage figure's training step), and "Download data" writes the
   * selected position's rows (76-export.js). */
  function keepPosition(figure, view, more) {
    Memo.keepState(figure, function () {
      var state = { position: view.selected };
      var extra = more ? more() : {};
      Object.keys(extra).forEach(function (name) {
        state[name] = extra[name];
      });
      return state;
    });
    view.onChange(function () {
      Memo.saveState(figure);
    });
    Memo.keepData(figure, function () {
      return positionData(view);
    });
  }

  /** What a connectivity view shows at its selected position: per panel the target, the top guesses and
   * the connectivity of each character read (json), and a table of characters by panels (csv). */
  function positionData(view) {
    var i = view.selected;
    var panels = view.panels.map(function (entry) {
      var spec = entry.spec;
      var row = (spec.rows[i] || []).slice(0, i + 1);
      return { panel: spec.key, name: spec.title, target: (spec.target(i) || {}).word || null, top: spec.top(i) || [], connectivity: row };
    });
    var table = [["index", "character"].concat(panels.map(function (p) {
      return p.name + " connectivity";
    }))];
    for (var j = 0; j <= i; j++) {
      table.push([j, view.text[j]].concat(panels.map(function (p) {
        return p.connectivity[j];
      })));
    }
    return { json: { text: view.text.slice(0, view.length), position: i, panels: panels }, csv: Memo.csv(table) };
  }

})();
