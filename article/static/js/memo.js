/* memo.js: the core every figure script of the page uses (see article/README.md, "The page's contract").
 *
 * Loads the page's files over http(s) with fetch and, from disk (file://, where Chromium refuses fetch),
 * through the sibling `<file>.js` wrappers that build/site_assets.py writes: a classic script calling
 * Memo.deliver("<path>", value), where value is the JSON value of a .json file, the text of a .mjs file,
 * or the base64 of any other file's bytes. Runs onnxruntime-web (vendor/) on its single-threaded WASM
 * backend, loaded on first use. A classic script with no dependencies: it defines window.Memo.
 */
(function () {
  "use strict";

  var MAX_TEXT = 1000;
  var DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
  var ORT_SCRIPT = "vendor/ort.wasm.min.js";
  var ORT_WASM = "vendor/ort-wasm-simd-threaded.wasm";
  var ORT_MJS = "vendor/ort-wasm-simd-threaded.mjs";
  var ORT_WASM_BYTES = 14239897; // size of ORT_WASM, for progress where the server sends no length
  var fromDisk = location.protocol === "file:";

  var Memo = {};
  Memo.MAX_TEXT = MAX_TEXT;
  Memo.ort = null;

  // --- manifest ----------------------------------------------------------------------------------------

  var manifest; // undefined: not read yet; null: no inline manifest

  function inlineManifest() {
    if (manifest === undefined || manifest === null) {
      var element = document.getElementById("memo-manifest");
      if (!element) return (manifest = null);
      try {
        manifest = JSON.parse(element.textContent);
      } catch (error) {
        console.error("memo: the inline manifest is not valid JSON", error);
        manifest = null;
      }
    }
    return manifest;
  }

  Object.defineProperty(Memo, "manifest", { enumerable: true, get: inlineManifest });

  function model(key) {
    var models = (inlineManifest() || {}).models || [];
    for (var i = 0; i < models.length; i++) if (models[i].key === key) return models[i];
    throw new Error("no model “" + key + "” in the manifest");
  }
  Memo.model = model;

  // --- loading files -----------------------------------------------------------------------------------

  var waiting = {}; // path -> {resolve, reject} of a wrapper script in flight
  var delivered = {}; // path -> value delivered before anyone asked (a wrapper in the page's HTML)
  var wrapperLoads = {}; // path -> Promise of the delivered value, while in flight

  function clean(path) {
    return String(path).replace(/^(\.\/)+/, "");
  }

  Memo.deliver = function (path, value) {
    var key = clean(path);
    var entry = waiting[key];
    if (entry) {
      delete waiting[key];
      entry.resolve(value);
    } else {
      delivered[key] = value;
    }
  };

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = function () {
        script.remove();
        resolve();
      };
      script.onerror = function () {
        script.remove();
        reject(new Error("could not load " + src));
      };
      document.head.appendChild(script);
    });
  }

  function viaWrapper(path) {
    var key = clean(path);
    if (Object.prototype.hasOwnProperty.call(delivered, key)) {
      var value = delivered[key];
      delete delivered[key]; // do not hold a second copy of a big file
      return Promise.resolve(value);
    }
    if (wrapperLoads[key]) return wrapperLoads[key];
    var promise = new Promise(function (resolve, reject) {
      waiting[key] = { resolve: resolve, reject: reject };
      loadScript(encodeURI(key) + ".js").then(
        function () {
          if (waiting[key]) {
            delete waiting[key];
            reject(new Error(key + ".js did not deliver " + key));
          }
        },
        function () {
          delete waiting[key];
          reject(new Error("could not load " + key + ".js (the site is incomplete: rebuild it with make article)"));
        }
      );
    });
    wrapperLoads[key] = promise;
    var forget = function () {
      delete wrapperLoads[key];
    };
    promise.then(forget, forget);
    return promise;
  }

  function fetched(path) {
    return fetch(clean(path)).then(function (response) {
      if (!response.ok) throw new Error("could not load " + path + ": HTTP " + response.status);
      return response;
    });
  }

  function base64ToBytes(text) {
    if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  var jsonLoads = {};

  /** Memo.load(path) -> Promise of the parsed JSON of a site file (cached). */
  Memo.load = function (path) {
    var key = clean(path);
    if (!jsonLoads[key]) {
      jsonLoads[key] = (fromDisk ? viaWrapper(key) : fetched(key).then(function (r) { return r.json(); }));
      jsonLoads[key].catch(function () {
        delete jsonLoads[key]; // a later call may try again
      });
    }
    return jsonLoads[key];
  };

  /** Memo.loadText(path) -> Promise of a text file (only .mjs files have text wrappers). */
  Memo.loadText = function (path) {
    var key = clean(path);
    return fromDisk ? viaWrapper(key) : fetched(key).then(function (r) { return r.text(); });
  };

  /** Memo.loadBytes(path, onProgress?) -> Promise of a Uint8Array; onProgress(loaded, total) over http. */
  Memo.loadBytes = function (path, onProgress) {
    var key = clean(path);
    if (fromDisk) {
      return viaWrapper(key).then(function (text) {
        var bytes = base64ToBytes(text);
        if (onProgress) onProgress(bytes.length, bytes.length);
        return bytes;
      });
    }
    return fetched(key).then(function (response) {
      var total = Number(response.headers.get("content-length")) || 0;
      if (!onProgress || !response.body || !response.body.getReader) {
        return response.arrayBuffer().then(function (buffer) {
          if (onProgress) onProgress(buffer.byteLength, buffer.byteLength);
          return new Uint8Array(buffer);
        });
      }
      var reader = response.body.getReader();
      var chunks = [];
      var loaded = 0;
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) {
            var bytes = new Uint8Array(loaded);
            var offset = 0;
            chunks.forEach(function (chunk) {
              bytes.set(chunk, offset);
              offset += chunk.length;
            });
            onProgress(loaded, loaded);
            return bytes;
          }
          chunks.push(step.value);
          loaded += step.value.length;
          onProgress(loaded, Math.max(total, loaded));
          return pump();
        });
      }
      return pump();
    });
  };

  var vocabulary = null;
  /** Memo.vocab() -> Promise of the word list (class id -> word). */
  Memo.vocab = function () {
    if (!vocabulary) {
      vocabulary = Memo.load((inlineManifest() || {}).vocab || "data/vocab.json");
      vocabulary.catch(function () {
        vocabulary = null;
      });
    }
    return vocabulary;
  };

  // --- onnxruntime-web ---------------------------------------------------------------------------------

  var runtimePromise = null;
  var runtimeListeners = [];
  var runtimeFraction = 0;

  function runtimeProgress(fraction) {
    runtimeFraction = fraction;
    runtimeListeners.slice().forEach(function (listener) {
      listener(fraction);
    });
  }

  function loaderUrl() {
    if (!fromDisk) return Promise.resolve(new URL(ORT_MJS, document.baseURI).href);
    return Memo.loadText(ORT_MJS).then(function (text) {
      return URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
    });
  }

  function runtime() {
    if (!runtimePromise) {
      runtimePromise = Promise.resolve()
        .then(function () {
          return window.ort ? null : loadScript(ORT_SCRIPT);
        })
        .then(function () {
          var ort = window.ort;
          if (!ort || !ort.InferenceSession) throw new Error(ORT_SCRIPT + " did not define ort");
          var wasm = Memo.loadBytes(ORT_WASM, function (loaded, total) {
            runtimeProgress(Math.min(1, loaded / (total || ORT_WASM_BYTES)));
          });
          return Promise.all([ort, wasm, loaderUrl()]);
        })
        .then(function (parts) {
          var ort = parts[0];
          ort.env.wasm.numThreads = 1; // threads need cross-origin isolation, which file:// and Pages lack
          ort.env.wasm.proxy = false;
          ort.env.wasm.wasmBinary = parts[1];
          ort.env.wasm.wasmPaths = { mjs: parts[2] };
          Memo.ort = ort;
          runtimeProgress(1);
          return ort;
        });
      runtimePromise.catch(function () {
        runtimePromise = null; // a later call tries again
      });
    }
    return runtimePromise;
  }
  Memo.runtime = runtime;

  var sessions = {}; // "model/graph" -> {promise, listeners}
  var creation = Promise.resolve(); // sessions are created one at a time (one WASM instance initialises)
  var runs = Promise.resolve(); // and run one at a time

  /** Memo.session(modelKey, graphName, onProgress) -> Promise of an ort.InferenceSession (cached). */
  Memo.session = function (modelKey, graphName, onProgress) {
    var id = modelKey + "/" + graphName;
    var entry = sessions[id];
    if (entry && entry.done) {
      if (onProgress) onProgress(1, "ready");
      return entry.promise;
    }
    if (!entry) {
      entry = sessions[id] = { listeners: [], done: false };
      var graph;
      try {
        var description = model(modelKey);
        graph = (description.graphs || {})[graphName];
        if (!graph) throw new Error("model “" + modelKey + "” has no " + graphName + " graph");
      } catch (error) {
        delete sessions[id];
        return Promise.reject(error);
      }
      var name = description.name || modelKey;
      var needsRuntime = !Memo.ort;
      var modelBytes = graph.bytes || 1;
      var runtimeShare = needsRuntime ? ORT_WASM_BYTES / (ORT_WASM_BYTES + modelBytes) : 0;
      var modelFraction = 0;
      var report = function (label) {
        var fraction = runtimeShare * runtimeFraction + (1 - runtimeShare) * modelFraction;
        entry.listeners.forEach(function (listener) {
          listener(Math.min(1, fraction), label);
        });
      };
      var onRuntime = function (fraction) {
        report(fraction < 1 ? "loading the runtime (" + Math.round(fraction * 100) + "%)" : "loading the " + name + " model");
      };
      if (needsRuntime) runtimeListeners.push(onRuntime);
      report(needsRuntime ? "loading the runtime" : "loading the " + name + " model");
      var bytes = Memo.loadBytes(graph.file, function (loaded, total) {
        modelFraction = Math.min(0.99, loaded / (total || modelBytes));
        if (!needsRuntime || runtimeFraction >= 1) report("loading the " + name + " model");
      });
      entry.promise = Promise.all([runtime(), bytes])
        .then(function (parts) {
          var ort = parts[0];
          var start = creation.then(function () {
            report("starting the " + name + " model");
            return ort.InferenceSession.create(parts[1], { executionProviders: ["wasm"] });
          });
          creation = start.catch(function () {});
          return start;
        })
        .then(
          function (session) {
            modelFraction = 1;
            runtimeListeners = runtimeListeners.filter(function (l) { return l !== onRuntime; });
            report("ready");
            entry.done = true;
            entry.listeners = [];
            return session;
          },
          function (error) {
            runtimeListeners = runtimeListeners.filter(function (l) { return l !== onRuntime; });
            delete sessions[id]; // a later call tries again
            throw error;
          }
        );
    }
    if (onProgress) entry.listeners.push(onProgress);
    return entry.promise;
  };

  /** Memo.run(session, feeds) -> Promise of the outputs; runs of all sessions go one at a time. */
  Memo.run = function (session, feeds) {
    var result = runs.then(function () {
      return session.run(feeds);
    });
    runs = result.catch(function () {});
    return result;
  };

  // --- text --------------------------------------------------------------------------------------------

  // Characters that normalising does not lose: ASCII letters, digits and whitespace (Python's str.isspace
  // on ASCII). Any other character (punctuation, accents, emoji, non-ASCII spaces) counts as dropped.
  var KEPT = /[A-Za-z0-9\t\n\v\f\r\x1c-\x1f ]/;

  /** The corpus's normalisation (build/corpus.py normalise) and how many characters it dropped. */
  Memo.normalise = function (text) {
    text = text == null ? "" : String(text);
    var dropped = 0;
    for (var i = 0; i < text.length; i++) {
      var code = text.charCodeAt(i);
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
        var next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) i++; // one character outside the BMP (an emoji)
        dropped++;
      } else if (!KEPT.test(text[i])) {
        dropped++;
      }
    }
    var lower = text.replace(/[A-Z]+/g, function (run) {
      return run.toLowerCase();
    });
    var spelled = lower.replace(/[0-9]/g, function (digit) {
      return " " + DIGIT_WORDS[digit.charCodeAt(0) - 48] + " ";
    });
    return { text: spelled.replace(/[^a-z]+/g, " ").replace(/^ | $/g, ""), dropped: dropped };
  };

  /** Memo.prepare(raw, keepTrailingSpace) -> {text, dropped, cut}: what a live figure feeds its model.
   * text is " " + the normalised text (the corpus feeds each word as " " + word), at most MAX_TEXT
   * characters, or "" when nothing is left; with keepTrailingSpace a raw text ending in a word break keeps
   * one trailing space (the autocomplete then predicts the next word, as in the original's figure). */
  Memo.prepare = function (raw, keepTrailingSpace) {
    raw = raw == null ? "" : String(raw);
    var normalised = Memo.normalise(raw);
    if (!normalised.text) return { text: "", dropped: normalised.dropped, cut: 0 };
    var text = " " + normalised.text;
    if (keepTrailingSpace && /[^A-Za-z]$/.test(raw)) text += " ";
    var cut = Math.max(0, 1 + normalised.text.length - MAX_TEXT); // a trailing space that does not fit is no loss
    return { text: text.slice(0, MAX_TEXT), dropped: normalised.dropped, cut: cut };
  };

  /** Memo.textNote(prepared) -> what a live figure tells the reader about a Memo.prepare result: the
   * characters normalising dropped and those cut past MAX_TEXT ("" when none). */
  Memo.textNote = function (prepared) {
    var parts = [];
    if (prepared.dropped) {
      parts.push(
        prepared.dropped + (prepared.dropped === 1 ? " character was" : " characters were") +
          " dropped: the models read only the letters a–z, digits (spelled out) and spaces."
      );
    }
    if (prepared.cut) {
      parts.push("The text was cut to its first " + MAX_TEXT + " characters (" + prepared.cut + " more were not read).");
    }
    return parts.join(" ");
  };

  /** Memo.wordAt(text, index) -> {start, end, word, read, rest}: the word output index `index` of a text asks
   * for (the space before a word belongs to it); start is the index of that space (-1: none), read the
   * letters of the word up to index, rest the letters after it. */
  Memo.wordAt = function (text, index) {
    var start = text.lastIndexOf(" ", index);
    var end = text.indexOf(" ", index + 1);
    if (end < 0) end = text.length;
    return {
      start: start,
      end: end,
      word: text.slice(start + 1, end),
      read: text.slice(start + 1, index + 1),
      rest: text.slice(index + 1, end),
    };
  };

  var WORD_LABELS = { "<eos>": "(end of text)", "<unknown>": "(an unknown word)" };

  /** Memo.wordLabel(word) -> how a vocabulary word is shown: the special classes in words, others as they are. */
  Memo.wordLabel = function (word) {
    return Object.prototype.hasOwnProperty.call(WORD_LABELS, word) ? WORD_LABELS[word] : word;
  };

  /** Memo.percent(p) -> a probability as a percentage: "49.0%", "1.23%", "0.012%". */
  Memo.percent = function (p) {
    var value = p * 100;
    return (value >= 10 ? value.toFixed(1) : value >= 0.1 ? value.toFixed(2) : value.toPrecision(2)) + "%";
  };

  /** Alphabet ids of a normalised text: space 1, a..z 2..27 (anything else is an error, not a guess). */
  Memo.encode = function (text) {
    var ids = new BigInt64Array(text.length);
    for (var i = 0; i < text.length; i++) {
      var code = text.charCodeAt(i);
      if (code === 32) ids[i] = 1n;
      else if (code >= 97 && code <= 122) ids[i] = BigInt(code - 95);
      else throw new Error("cannot encode “" + text[i] + "”: normalise the text first");
    }
    return ids;
  };

  /** Rows of a passage's `connectivity` field (build/precompute.py encode_lower_triangle): row t has
   * t + 1 values, value = row_max[t] * q / 65535. */
  Memo.decodeRows = function (encoded) {
    var rowMax = encoded.row_max;
    var bytes = base64ToBytes(encoded.data);
    var n = rowMax.length;
    if (bytes.length !== n * (n + 1)) {
      throw new Error("connectivity data holds " + bytes.length + " bytes, " + n * (n + 1) + " expected");
    }
    var view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    var rows = [];
    var offset = 0;
    for (var t = 0; t < n; t++) {
      var row = new Float32Array(t + 1);
      var scale = rowMax[t] / 65535;
      for (var i = 0; i <= t; i++, offset += 2) row[i] = view.getUint16(offset, true) * scale;
      rows.push(row);
    }
    return rows;
  };

  // --- colours -----------------------------------------------------------------------------------------

  // d3's viridis ramp (256 colours), entries 72..171: the part the original's figures use, t in [0.29, 0.667].
  var VIRIDIS_FIRST = 72;
  var VIRIDIS = (
    "375b8d365c8d365d8d355e8d355f8d34608d34618d33628d33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e" +
    "2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e" +
    "287c8e287d8e277e8e277f8e27808e26818e26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d" +
    "228c8d228d8d218e8d218f8d21908d21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a" +
    "1e9c891e9d891f9e891f9f881fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab82" +
    "25ac8226ad8127ad8128ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b878"
  )
    .match(/.{6}/g)
    .map(function (hex) {
      return [0, 2, 4].map(function (i) {
        return parseInt(hex.slice(i, i + 2), 16);
      });
    });
  var LOW = 0.29;
  var HIGH = 2 / 3;

  function rgb(ratio) {
    ratio = Number(ratio);
    if (!(ratio > 0)) ratio = 0;
    if (ratio > 1) ratio = 1;
    var position = (LOW + ratio * (HIGH - LOW)) * 256 - 0.5 - VIRIDIS_FIRST; // entry i sits at (i + 0.5) / 256
    position = Math.max(0, Math.min(VIRIDIS.length - 1, position));
    var i = Math.floor(position);
    var j = Math.min(VIRIDIS.length - 1, i + 1);
    var f = position - i;
    return [0, 1, 2].map(function (c) {
      return Math.round(VIRIDIS[i][c] + f * (VIRIDIS[j][c] - VIRIDIS[i][c]));
    });
  }

  /** Memo.colour(ratio) -> CSS colour of a value as a fraction of its row's largest value. */
  Memo.colour = function (ratio) {
    var c = rgb(ratio);
    return "rgb(" + c[0] + ", " + c[1] + ", " + c[2] + ")";
  };

  function luminance(c) {
    var linear = c.map(function (v) {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  }

  /** Memo.textColour(ratio) -> black or white, whichever contrasts more with Memo.colour(ratio). */
  Memo.textColour = function (ratio) {
    var l = luminance(rgb(ratio));
    return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "#000" : "#fff";
  };

  // --- page elements -----------------------------------------------------------------------------------

  var SVG_NS = "http://www.w3.org/2000/svg";

  /** Memo.element(tag, className, text) -> a new HTML element, with its class and text when given. */
  Memo.element = function (tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  };

  /** Memo.button(className, text) -> a new <button type="button">. */
  Memo.button = function (className, text) {
    var node = Memo.element("button", className, text);
    node.type = "button";
    return node;
  };

  /** Memo.svg(tag, attrs, parent) -> a new SVG element with the attributes that are not null, appended to
   * parent when given. */
  Memo.svg = function (tag, attrs, parent) {
    var node = document.createElementNS(SVG_NS, tag);
    for (var k in attrs) if (attrs[k] != null) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  };

  /** Memo.toggleRow(ariaLabel, label) -> a div.memo-toggles group for a row of buttons; label, when given,
   * is shown first (span.memo-toggles-label). */
  Memo.toggleRow = function (ariaLabel, label) {
    var row = Memo.element("div", "memo-toggles");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", ariaLabel);
    if (label) row.appendChild(Memo.element("span", "memo-toggles-label", label));
    return row;
  };

  /** Memo.onWidthChange(element, fn): fn() each time the element's width changes by more than 4 px. */
  Memo.onWidthChange = function (element, fn) {
    if (typeof ResizeObserver !== "function") return;
    var last = 0;
    new ResizeObserver(function () {
      var width = element.clientWidth;
      if (width && Math.abs(width - last) > 4) {
        last = width;
        fn();
      }
    }).observe(element);
  };

  /** Memo.liveBody(figure, className) -> the body of a live figure (made when missing), emptied, with the
   * classes memo-live and className, data-state "idle" and data-updates "0". */
  Memo.liveBody = function (figure, className) {
    var body = figure.querySelector(".figure-body");
    if (!body) {
      body = Memo.element("div", "figure-body");
      figure.insertBefore(body, figure.firstChild);
    }
    body.textContent = "";
    body.classList.add("memo-live", className);
    body.setAttribute("data-state", "idle");
    body.setAttribute("data-updates", "0");
    return body;
  };

  /** Memo.textInput(id, rows, value, label) -> the textarea.memo-input of a live figure (no spell check,
   * autocomplete or capitals); label is its aria-label. */
  Memo.textInput = function (id, rows, value, label) {
    var input = Memo.element("textarea", "memo-input");
    input.id = id;
    input.rows = rows;
    input.value = value;
    input.spellcheck = false;
    input.setAttribute("autocomplete", "off");
    input.setAttribute("autocapitalize", "off");
    input.setAttribute("aria-label", label);
    return input;
  };

  /** Memo.liveNote(parent) -> {element, show(prepared)}: a live figure's p.memo-note, hidden at first,
   * appended to parent; show tells what a Memo.prepare result dropped or cut (Memo.textNote), hidden when nothing. */
  Memo.liveNote = function (parent) {
    var element = Memo.element("p", "memo-note");
    element.setAttribute("role", "note");
    element.hidden = true;
    parent.appendChild(element);
    return {
      element: element,
      show: function (prepared) {
        var message = Memo.textNote(prepared);
        if (element.textContent !== message) element.textContent = message;
        element.hidden = !message;
      },
    };
  };

  /** Memo.liveStatus(body, waiting) -> {element, progress, text, show(fraction, label), fail(error, who,
   * message)}: a live figure's .memo-status line (a progress bar, then a text that first says `waiting`),
   * appended to body. show reports loading (nothing once the body's data-state is "error"); fail logs the
   * error under `who`, sets data-state "error" and shows message followed by the error's message. */
  Memo.liveStatus = function (body, waiting) {
    var element = Memo.element("p", "memo-status");
    element.setAttribute("role", "status");
    var progress = Memo.element("progress", "memo-progress");
    progress.max = 1;
    progress.hidden = true;
    var text = Memo.element("span", "memo-status-text", waiting);
    element.appendChild(progress);
    element.appendChild(text);
    body.appendChild(element);
    return {
      element: element,
      progress: progress,
      text: text,
      show: function (fraction, label) {
        if (body.getAttribute("data-state") === "error") return;
        progress.hidden = fraction >= 1;
        progress.value = fraction;
        text.textContent = fraction >= 1 ? "" : label || "loading";
      },
      fail: function (error, who, message) {
        console.error(who, error);
        body.setAttribute("data-state", "error");
        progress.hidden = true;
        text.textContent = message + (error && error.message ? error.message : String(error));
      },
    };
  };

  /**
   * Memo.liveQueue(body, work, render, onError) -> queue: a live figure's updates, one at a time and only the
   * latest. queue.ask(job) asks for job (an object with `text`; its `since` is set to now), run at once when
   * queue.started and the next time otherwise; work(job) -> result or Promise of it. A job asked for while
   * another ran replaces it: only queue.wanted, the latest job not yet shown (null: none), is shown, by
   * render(job, result), after which the body's data-ms and data-updates (queue.updates) are set and its
   * data-state becomes "ready" (a job with text) or goes back from "loading" to "idle". A failure drops the
   * waiting job and calls onError(error).
   */
  Memo.liveQueue = function (body, work, render, onError) {
    var queue = { wanted: null, started: false, updates: 0 };
    var busy = false;

    async function pump() {
      if (busy) return;
      busy = true;
      try {
        while (queue.wanted) {
          var job = queue.wanted;
          var result = await work(job);
          if (job !== queue.wanted) continue; // the reader asked for more meanwhile: show only the latest
          queue.wanted = null;
          render(job, result);
          queue.updates += 1;
          body.setAttribute("data-ms", (performance.now() - job.since).toFixed(1));
          body.setAttribute("data-updates", String(queue.updates));
          if (job.text) body.setAttribute("data-state", "ready");
          else if (body.getAttribute("data-state") === "loading") body.setAttribute("data-state", "idle");
        }
      } catch (error) {
        queue.wanted = null;
        onError(error);
      } finally {
        busy = false;
      }
    }

    queue.ask = function (job) {
      job.since = performance.now();
      queue.wanted = job;
      if (queue.started) pump();
    };
    return queue;
  };

  // --- figures -----------------------------------------------------------------------------------------

  /** Memo.whenVisible(element, fn): fn() once, when the element first comes near the viewport. */
  Memo.whenVisible = function (element, fn) {
    var done = false;
    var once = function () {
      if (!done) {
        done = true;
        fn();
      }
    };
    if (typeof IntersectionObserver !== "function") {
      setTimeout(once, 0);
      return;
    }
    var observer = new IntersectionObserver(
      function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) {
          observer.disconnect();
          once();
        }
      },
      { rootMargin: "300px 0px" }
    );
    observer.observe(element);
  };

  var registry = {};
  var started = false;

  function statusOf(figure) {
    var status = figure.querySelector(".memo-status");
    if (!status) {
      status = Memo.element("p", "memo-status");
      status.setAttribute("role", "status");
      (figure.querySelector(".figure-body") || figure).appendChild(status);
    }
    return status;
  }

  function initialise(kind) {
    var figures = document.querySelectorAll('figure[data-figure="' + kind + '"]');
    Array.prototype.forEach.call(figures, function (figure) {
      if (figure.memoInitialised) return;
      figure.memoInitialised = true;
      try {
        var result = registry[kind](figure, Memo);
        if (result && typeof result.catch === "function") result.catch(fail);
      } catch (error) {
        fail(error);
      }
      function fail(error) {
        console.error("memo: figure " + kind + " failed", error);
        var body = figure.querySelector(".figure-body");
        if (body) body.setAttribute("data-state", "error");
        statusOf(figure).textContent = "This figure could not be drawn: " + (error && error.message ? error.message : error);
      }
    });
  }

  /** Memo.register(kind, init): init(figure, Memo) once per <figure data-figure="kind">, after the DOM is ready. */
  Memo.register = function (kind, init) {
    registry[kind] = init;
    if (started) initialise(kind);
  };

  function start() {
    var ready = inlineManifest()
      ? Promise.resolve()
      : Memo.load("data/manifest.json").then(
          function (loaded) {
            manifest = loaded;
          },
          function (error) {
            console.error("memo: no inline manifest and data/manifest.json could not be loaded", error);
          }
        );
    ready.then(function () {
      started = true;
      Object.keys(registry).forEach(initialise);
    });
  }

  // Links into passage figures: <a href="#passage-ID" data-select="POS"> -> memo:select on #passage-ID.
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[data-select]") : null;
    if (!link) return;
    var href = link.getAttribute("href") || "";
    var hash = href.indexOf("#");
    if (hash < 0) return;
    var target = document.getElementById(decodeURIComponent(href.slice(hash + 1)));
    var position = parseInt(link.getAttribute("data-select"), 10);
    if (!target || !(position >= 0)) return;
    event.preventDefault();
    target.dispatchEvent(new CustomEvent("memo:select", { detail: { position: position } }));
    var box = target.getBoundingClientRect();
    if (box.bottom < 0 || box.top > window.innerHeight) target.scrollIntoView({ block: "nearest" });
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.Memo = Memo;
})();
