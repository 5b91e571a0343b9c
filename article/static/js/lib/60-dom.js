/* 60-dom.js: making the page's elements: HTML and SVG elements, buttons, headings that keep the page's
 * heading order, rows of toggles, and two observers (Memo.onWidthChange, Memo.whenVisible).
 */
(function () {
  "use strict";

  var Memo = window.Memo;

  var SVG_NS = "http://www.w3.org/2000/svg";

  /** Memo.element(tag, className, text) -> a new HTML element, with its class and text when given. */
  Memo.element = function (tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  };

  /** Memo.heading(figure, className, text) -> a heading one level below the last heading before `figure`
   * in the page (h2 to h6): the titles inside figures keep the page's heading order. */
  Memo.heading = function (figure, className, text) {
    var level = 1;
    var headings = document.querySelectorAll("h1, h2, h3, h4, h5, h6");
    for (var i = 0; i < headings.length; i++) {
      if (!(figure.compareDocumentPosition(headings[i]) & Node.DOCUMENT_POSITION_PRECEDING)) break;
      level = Number(headings[i].tagName.charAt(1));
    }
    return Memo.element("h" + Math.max(2, Math.min(6, level + 1)), className, text);
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
})();
