/* 80-registry.js: the figure registry. A figure script calls Memo.register(kind, init); js/start.js,
 * the page's last script, calls Memo.startFigures() once the manifest is there (or could not be loaded), which runs init(figure,
 * Memo) once per <figure data-figure="kind"> (and at once for a kind registered later). A figure whose
 * init throws, or returns a Promise that rejects, says so in its status line. Memo.restartFigure(figure)
 * draws a figure again from its markup as the page had it (a link that names new state for it).
 */
(function () {
  "use strict";

  var Memo = window.Memo;

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
    Array.prototype.forEach.call(figures, start);
  }

  function start(figure) {
    var kind = figure.getAttribute("data-figure");
    if (!registry[kind]) return;
    if (figure.memoInitialised) return;
    figure.memoInitialised = true;
    figure.memoPristine = figure.cloneNode(true); // what restartFigure draws again from
    Memo.figureMenu(figure); // 75-links.js: Copy link
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
  }

  /** Memo.restartFigure(figure): a fresh copy of the figure's markup replaces it (taking the old one's
   * listeners and timers' targets with it) and is drawn as at the page's start, reading the link now in
   * the address bar; -> the new element. */
  Memo.restartFigure = function (figure) {
    if (!figure.memoPristine || !figure.parentNode) return figure;
    var fresh = figure.memoPristine.cloneNode(true);
    figure.parentNode.replaceChild(fresh, figure);
    start(fresh);
    return fresh;
  };

  /** Memo.register(kind, init): init(figure, Memo) once per <figure data-figure="kind">, after the DOM is ready. */
  Memo.register = function (kind, init) {
    registry[kind] = init;
    if (started) initialise(kind);
  };

  /** Memo.startFigures(): initialise the figures of every kind registered, and from now on of any kind
   * registered later. */
  Memo.startFigures = function () {
    started = true;
    Object.keys(registry).forEach(initialise);
  };
})();
