/* 65-live.js: the parts of the live figures (autocomplete.js, owntext.js), which run the models in the
 * reader's browser: their body, text input, note, status line and update queue, and the offer to
 * download first when the models are large (Memo.askingFirst).
 */
(function () {
  "use strict";

  var Memo = window.Memo;

  /** Models larger than this many bytes wait for the reader to ask for them (as does any download when
   * the browser says the reader saves data): the paper-size models are about 15-20 MB each, the small
   * profile's under 2 MB (the runtime, about 14 MB, loads with the first live figure either way). */
  Memo.AUTOLOAD_BYTES = 8e6;

  /** A live figure's update expected to take longer than this many milliseconds shows its progress. */
  Memo.PROGRESS_MS = 200;

  /** Memo.askFirst(download) -> true when a live figure must ask before a Memo.downloadBytes download. */
  Memo.askFirst = function (download) {
    var connection = navigator.connection || {};
    return download.total > 0 && (download.models > Memo.AUTOLOAD_BYTES || connection.saveData === true);
  };

  /** Memo.megabytes(bytes) -> "20.5 MB". */
  Memo.megabytes = function (bytes) {
    return (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0) + " MB";
  };

  /** Memo.offerDownload(status, bytes, what, onYes): the status line of a live figure says how large its
   * download is and offers a button that starts it (what: e.g. "the runtime and the GRU model"). */
  Memo.offerDownload = function (status, bytes, what, onYes) {
    status.text.textContent =
      "Running this figure in your browser downloads " + Memo.megabytes(bytes) + " (" + what + "). ";
    var button = Memo.element("button", "memo-load", "Load " + Memo.megabytes(bytes));
    button.type = "button";
    button.addEventListener("click", function () {
      button.remove();
      status.text.textContent = "loading";
      onYes();
    });
    status.text.appendChild(button);
  };

  /** Memo.askingFirst(status, needs, start) -> begin(): a live figure's start that, when its download is
   * large (Memo.askFirst), first offers it in the status line and starts only on the reader's click.
   * needs() -> {download: Memo.downloadBytes(...), what} is asked at the first begin(); later calls go
   * straight to start(). */
  Memo.askingFirst = function (status, needs, start) {
    var allowed = false;
    var offered = false;
    return function () {
      if (!allowed) {
        var need = needs();
        if (Memo.askFirst(need.download)) {
          if (!offered) {
            offered = true;
            Memo.offerDownload(status, need.download.total, need.what, function () {
              allowed = true;
              start();
            });
          }
          return;
        }
        allowed = true;
      }
      start();
    };
  };

  /** Memo.painted() -> a Promise resolved once the browser has had the chance to paint what the page just
   * changed (a status line shown before a run that keeps the main thread busy), or after 50 ms at most
   * (a hidden tab paints nothing). */
  Memo.painted = function () {
    return new Promise(function (resolve) {
      var done = false;
      function go() {
        if (!done) {
          done = true;
          resolve();
        }
      }
      requestAnimationFrame(function () {
        setTimeout(go, 0);
      });
      setTimeout(go, 50);
    });
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
})();
