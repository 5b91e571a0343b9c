/* 67-connectivity.js: the text of a connectivity panel, one for the hero, the passage and your own text.
 *
 *   Memo.connectivityText(box, text, length)    fills `box` with the first `length` characters of `text`
 *                                               as span.memo-char[data-index][data-value], grouped by word
 *                                               (a line breaks between words), and returns the spans
 *   Memo.paintConnectivity(chars, row, index, raw)  shades each character up to the output `index` by its
 *                                               value in `row` as a share of the largest (Memo.colour),
 *                                               outlines the output (memo-selected), marks the characters
 *                                               after it memo-future; `raw` also writes data-raw (the value)
 *   Memo.choosePosition(box, control)           the one way to choose the output: hover (mouse, pen), a
 *                                               tap or click, and on the focused text the keys of
 *                                               Memo.POSITION_KEYS; control: {selected(), length(),
 *                                               select(i), activate()} (activate: optional, before a tap
 *                                               or a key, e.g. to start loading the models)
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  var element = Memo.element;

  Memo.POSITION_KEYS =
    "left and right arrows move the output by one character, Shift+arrow or up and down arrows by ten, Home and End to the ends";

  Memo.connectivityText = function (box, text, length) {
    box.textContent = "";
    var chars = [];
    var word = null;
    for (var i = 0; i < length; i++) {
      var c = text[i];
      if (c === " " || !word) {
        if (word) box.appendChild(element("wbr"));
        word = element("span", "memo-word");
        box.appendChild(word);
      }
      var span = element("span", "memo-char", c);
      span.setAttribute("data-index", String(i));
      span.setAttribute("data-value", "0");
      if (c === " ") span.classList.add("memo-space");
      word.appendChild(span);
      chars.push(span);
    }
    if (length < text.length) box.appendChild(element("span", "memo-more", "…"));
    return chars;
  };

  Memo.paintConnectivity = function (chars, row, index, raw) {
    row = row || [];
    var largest = 0;
    for (var j = 0; j <= index && j < row.length; j++) if (row[j] > largest) largest = row[j];
    for (var k = 0; k < chars.length; k++) {
      var span = chars[k];
      var value = k <= index && k < row.length ? Number(row[k]) : 0;
      var ratio = largest > 0 ? value / largest : 0;
      span.setAttribute("data-value", String(Math.round(ratio * 1e6) / 1e6));
      if (raw) span.setAttribute("data-raw", String(value));
      if (k <= index) {
        span.style.backgroundColor = Memo.colour(ratio);
        span.style.color = Memo.textColour(ratio);
        span.classList.remove("memo-future");
      } else {
        span.style.backgroundColor = "";
        span.style.color = "";
        span.classList.add("memo-future");
      }
      span.classList.toggle("memo-selected", k === index);
    }
  };

  function indexOf(target) {
    var span = target && target.closest ? target.closest(".memo-char") : null;
    return span ? parseInt(span.getAttribute("data-index"), 10) : -1;
  }

  Memo.choosePosition = function (box, control) {
    var activate = control.activate || function () {};
    box.addEventListener("pointerover", function (event) {
      if (event.pointerType !== "mouse" && event.pointerType !== "pen") return; // a touch taps instead
      var i = indexOf(event.target);
      if (i >= 0) control.select(i);
    });
    box.addEventListener("click", function (event) {
      activate();
      var i = indexOf(event.target);
      if (i >= 0) control.select(i);
    });
    box.addEventListener("keydown", function (event) {
      var step = event.shiftKey ? 10 : 1;
      var moves = { ArrowLeft: -step, ArrowRight: step, ArrowUp: -10, ArrowDown: 10 };
      var next = null;
      if (Object.prototype.hasOwnProperty.call(moves, event.key)) next = control.selected() + moves[event.key];
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = control.length() - 1;
      if (next === null) return;
      event.preventDefault();
      activate();
      control.select(Math.max(0, Math.min(control.length() - 1, next)));
    });
  };
})();
