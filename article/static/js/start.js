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
    ready.then(Memo.startFigures);
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
})();
