/* start.js: the page's last script. Once the DOM is ready and the manifest is there (inline, or else
 * data/manifest.json), it starts the figures that js/figures/*.js registered; and it makes the links
 * into passage figures select their position.
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  if (!Memo) return;

  function start() {
    var ready = Memo.manifest
      ? Promise.resolve()
      : Memo.load("data/manifest.json").then(
          function (loaded) {
            Memo.setManifest(loaded);
          },
          function (error) {
            console.error("memo: no inline manifest and data/manifest.json could not be loaded", error);
          }
        );
    ready.then(Memo.startFigures).then(showLinkedFigure);
  }

  /** A page opened at a link to a figure's state (#autocomplete?text=...) shows that figure: no element
   * has that id, so the browser does not scroll there by itself. */
  function showLinkedFigure() {
    var figure = Memo.linkedFigure();
    if (!figure || location.hash.slice(1) === figure.id) return;
    figure.scrollIntoView({ block: "start" });
    // the figures above it draw and change height while the page loads: land on it again when it has
    window.addEventListener("load", function () {
      figure.scrollIntoView({ block: "start" });
    });
  }

  // Links into passage figures: <a href="#passage-ID?position=POS" data-select="POS"> -> memo:select on
  // #passage-ID, and the address bar then holds that link.
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[data-select]") : null;
    if (!link) return;
    var href = link.getAttribute("href") || "";
    var hash = href.indexOf("#");
    if (hash < 0) return;
    var anchor = href.slice(hash + 1).split("?")[0];
    var target = document.getElementById(decodeURIComponent(anchor));
    var position = parseInt(link.getAttribute("data-select"), 10);
    if (!target || !(position >= 0)) return;
    event.preventDefault();
    target.dispatchEvent(new CustomEvent("memo:select", { detail: { position: position } }));
    var box = target.getBoundingClientRect();
    if (box.bottom < 0 || box.top > window.innerHeight) target.scrollIntoView({ block: "nearest" });
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
