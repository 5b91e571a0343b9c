/* 40-runtime.js: onnxruntime-web (vendor/), loaded on first use and run on its WASM backend (one
 * thread, or up to four where the page is cross-origin isolated), and the models' inference sessions
 * (Memo.session, Memo.run), each model's graph and weights downloaded once; Memo.downloadBytes says how
 * much a figure still has to download.
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  var ORT_SCRIPT = "vendor/ort.wasm.min.js";
  var ORT_WASM = "vendor/ort-wasm-simd-threaded.wasm";
  var ORT_MJS = "vendor/ort-wasm-simd-threaded.mjs";
  var ORT_WASM_BYTES = 14239897; // size of ORT_WASM, for progress where the server sends no length
  var fromDisk = Memo.fromDisk;
  var loadScript = Memo.loadScript; // 30-data.js
  var model = Memo.model;

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
          // WASM threads need cross-origin isolation (make serve and make preview send its headers);
          // opened from disk or from GitHub Pages the page is not isolated and runs on one thread
          ort.env.wasm.numThreads = Memo.runtimeThreads();
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

  /** Memo.runtimeThreads() -> the WASM threads the models run on: up to 4 where the page is cross-origin
   * isolated, else 1. */
  Memo.runtimeThreads = function () {
    if (!window.crossOriginIsolated) return 1;
    return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
  };

  var sessions = {}; // "model/graph" -> {promise, listeners}
  var weightLoads = {}; // model key -> {promise, loaded, total}: each model's weights file, read once
  var creation = Promise.resolve(); // sessions are created one at a time (one WASM instance initialises)
  var runs = Promise.resolve(); // and run one at a time

  function baseName(path) {
    return path.slice(path.lastIndexOf("/") + 1);
  }

  /** The weights file of a model (both of its graphs read it as ONNX external data), fetched once. */
  function weightsOf(modelKey, onProgress) {
    var file = model(modelKey).weights_file;
    if (!file) return null;
    var entry = weightLoads[modelKey];
    if (!entry) {
      entry = weightLoads[modelKey] = { loaded: 0, total: file.bytes, listeners: [] };
      entry.promise = Memo.loadBytes(file.file, function (loaded, total) {
        entry.loaded = loaded;
        entry.total = total || file.bytes;
        entry.listeners.forEach(function (listener) {
          listener();
        });
      });
      entry.promise.then(
        function () {
          entry.loaded = entry.total;
          entry.listeners = [];
        },
        function () {
          delete weightLoads[modelKey]; // a later call tries again
        }
      );
    }
    if (onProgress) entry.listeners.push(onProgress);
    return entry;
  }

  /** Memo.downloadBytes(modelKeys, graphName) -> {models, total}: how many bytes running that graph of
   * those models still needs to download: the graphs and weights not yet loaded (models), and with the
   * runtime when it is not loaded either (total). */
  Memo.downloadBytes = function (modelKeys, graphName) {
    var models = 0;
    modelKeys.forEach(function (key) {
      var description = model(key);
      if (sessions[key + "/" + graphName]) return;
      models += ((description.graphs || {})[graphName] || {}).bytes || 0;
      if (description.weights_file && !weightLoads[key]) models += description.weights_file.bytes;
    });
    return { models: models, total: models + (Memo.ort ? 0 : ORT_WASM_BYTES) };
  };

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
      var graph, description;
      try {
        description = model(modelKey);
        graph = (description.graphs || {})[graphName];
        if (!graph) throw new Error("model “" + modelKey + "” has no " + graphName + " graph");
      } catch (error) {
        delete sessions[id];
        return Promise.reject(error);
      }
      var name = description.name || modelKey;
      var needsRuntime = !Memo.ort;
      var graphLoaded = 0;
      var weights = weightsOf(modelKey, function () {
        progressed();
      });
      var weightBytes = weights ? weights.total : 0;
      var modelBytes = (graph.bytes || 1) + weightBytes;
      var runtimeShare = needsRuntime ? ORT_WASM_BYTES / (ORT_WASM_BYTES + modelBytes) : 0;
      var modelFraction = 0;
      var report = function (label) {
        var fraction = runtimeShare * runtimeFraction + (1 - runtimeShare) * modelFraction;
        entry.listeners.forEach(function (listener) {
          listener(Math.min(1, fraction), label);
        });
      };
      var progressed = function () {
        var loaded = graphLoaded + (weights ? weights.loaded : 0);
        modelFraction = Math.min(0.99, loaded / modelBytes);
        if (!needsRuntime || runtimeFraction >= 1) report("loading the " + name + " model");
      };
      var onRuntime = function (fraction) {
        report(fraction < 1 ? "loading the runtime (" + Math.round(fraction * 100) + "%)" : "loading the " + name + " model");
      };
      if (needsRuntime) runtimeListeners.push(onRuntime);
      report(needsRuntime ? "loading the runtime" : "loading the " + name + " model");
      var bytes = Memo.loadBytes(graph.file, function (loaded) {
        graphLoaded = loaded;
        progressed();
      });
      entry.promise = Promise.all([runtime(), bytes, weights ? weights.promise : null])
        .then(function (parts) {
          var ort = parts[0];
          var options = { executionProviders: ["wasm"] };
          if (parts[2]) options.externalData = [{ path: baseName(description.weights_file.file), data: parts[2] }];
          var start = creation.then(function () {
            report("starting the " + name + " model");
            return ort.InferenceSession.create(parts[1], options);
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
})();
