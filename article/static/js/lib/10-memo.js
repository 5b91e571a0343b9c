/* 10-memo.js: the namespace every script of the page shares, window.Memo, and the page's manifest.
 *
 * The page's scripts are classic scripts (no modules, no bundler: the page works from file://), loaded in
 * this order: js/lib/*.js by file name (this file first), then js/figures/*.js, then js/start.js, which
 * starts the figures. Each lib file adds one part of Memo (see article/README.md, "The page's contract"):
 *
 *   10-memo.js      the namespace, the manifest, the models it lists
 *   20-text.js      the corpus's text normalisation and the words of the figures' text alternatives
 *   30-data.js      loading the site's files (fetch, or the <file>.js wrappers on file://)
 *   40-runtime.js   onnxruntime-web and the models' inference sessions
 *   50-colours.js   the connectivity colour ramp and the models' colour classes
 *   60-dom.js       making elements
 *   65-live.js      the parts of the live figures (status, queue, asking before a large download)
 *   66-table.js     the table mode of the connectivity views
 *   67-connectivity.js  a connectivity panel's text: characters, shading, choosing the output (keys)
 *   68-passage-view.js  Memo.PassageView, the view the passage and hero figures draw with
 *   70-chart.js     Memo.LineChart, the line chart of the accuracy and curves figures; 71-chart-hover.js
 *                   reads its values under the pointer or the keys; 72-chart-controls.js, the controls
 *                   and start the chart figures share
 *   75-links.js     a figure's state in the URL fragment, and the figure menu (Copy link, Embed)
 *   76-export.js    the menu's downloads: SVG, PNG, data (JSON, CSV)
 *   80-registry.js  the figure registry (Memo.register)
 */
(function () {
  "use strict";

  var Memo = {};
  Memo.ort = null;
  /** Opened from disk: Chromium refuses fetch there, so files come through their <file>.js wrappers. */
  Memo.fromDisk = location.protocol === "file:";

  var manifest; // undefined: not read yet; null: no inline manifest

  function inlineManifest() {
    if (manifest === undefined) {
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

  /** Memo.setManifest(value): the manifest to use when the page has none inline (start.js loads it). */
  Memo.setManifest = function (value) {
    manifest = value;
  };

  /** Memo.models() -> the manifest's models, in its order ([] when there is no manifest). */
  Memo.models = function () {
    return (inlineManifest() || {}).models || [];
  };

  /** Memo.modelIndex(key) -> the position of model `key` in the manifest's list (-1: not there). */
  Memo.modelIndex = function (key) {
    var models = Memo.models();
    for (var i = 0; i < models.length; i++) if (models[i].key === key) return i;
    return -1;
  };

  /** Memo.model(key) -> the manifest's entry of model `key` (an error when there is none). */
  Memo.model = function (key) {
    var i = Memo.modelIndex(key);
    if (i < 0) throw new Error("no model “" + key + "” in the manifest");
    return Memo.models()[i];
  };

  window.Memo = Memo;
})();
