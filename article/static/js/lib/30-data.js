/* 30-data.js: loading the site's files. Over http(s) the page fetches them; from disk (file://), where
 * Chromium refuses fetch, it runs the sibling `<file>.js` wrapper that build/render/site_assets.py writes: a
 * classic script calling Memo.deliver("<path>", value), where value is the JSON value of a .json file,
 * the text of a .mjs file, or the base64 of any other file's bytes. Also decodes the passages'
 * connectivity (Memo.decodeRows).
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  var fromDisk = Memo.fromDisk;

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

  /** Memo.vocab() -> Promise of the word list (class id -> word); cached, and tried again after an error,
   * by Memo.load. */
  Memo.vocab = function () {
    return Memo.load((Memo.manifest || {}).vocab || "data/vocab.json");
  };

  /** Memo.loadScript(src) -> Promise, resolved once the classic script at src has run (then removed). */
  Memo.loadScript = loadScript;

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
})();
