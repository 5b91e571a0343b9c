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
    window.addEventListener("hashchange", followFragment);
  }

  var SETTLE_MS = 15000; // how long a linked figure is kept in place while the page above it settles
  var settling = null; // the figure being kept in place, and how to stop

  /** Keeps `figure` at the top of the window while what is above it still changes size (the figures
   * draw after their data load, after the load event too): it lands there again at each change, until
   * the reader scrolls, clicks or types, or SETTLE_MS pass. */
  function keepInView(figure) {
    if (settling) settling.stop();
    var observer = window.ResizeObserver ? new ResizeObserver(land) : null;
    var events = ["wheel", "touchstart", "keydown", "mousedown"];
    var timer = setTimeout(stop, SETTLE_MS);
    function land() {
      figure.scrollIntoView({ block: "start" });
    }
    function stop() {
      if (observer) observer.disconnect();
      clearTimeout(timer);
      events.forEach(function (name) {
        window.removeEventListener(name, stop, true);
      });
      window.removeEventListener("load", land);
      if (settling && settling.figure === figure) settling = null;
    }
    events.forEach(function (name) {
      window.addEventListener(name, stop, { capture: true, passive: true });
    });
    window.addEventListener("load", land);
    if (observer) observer.observe(document.body);
    settling = { figure: figure, stop: stop };
    land();
  }

  /** A page opened at a link to a figure (#lookback, #autocomplete?text=...) shows that figure once the
   * figures above it have their final size: the browser scrolls there only once, early. */
  function showLinkedFigure() {
    var figure = Memo.linkedFigure();
    if (figure) keepInView(figure);
  }

  /** A fragment set after the page loaded (an in-page link, the reader editing the address): a figure
   * it gives state to is drawn again in that state; either way the figure is shown. */
  function followFragment() {
    var figure = Memo.linkedFigure();
    if (!figure) return;
    if (location.hash.indexOf("?") >= 0) figure = Memo.restartFigure(figure);
    keepInView(figure);
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
