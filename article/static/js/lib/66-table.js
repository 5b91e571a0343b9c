/* 66-table.js: the table mode of the connectivity views (passage, hero, owntext): one row per character
 * of the text, with its position, the character, and per panel its connectivity to the selected output
 * and the panel's top predictions after reading it, for a screen reader to walk or a reader to copy.
 *
 *   var mode = Memo.tableMode(body, caption)  a "Show as a table" toggle (mode.button) and the table's
 *                                              place (mode.element), hidden until the toggle is pressed
 *   mode.show(text, length, selected, panels)  fills it when shown; panels: [{name, row: [values],
 *                                              top(i) -> [{word, probability}] or null}]
 * The toggle sets the body's data-table ("on" or "off").
 *
 *   Memo.valueTable(caption, columns, rows)   a chart's table view: a captioned, scrollable table with a
 *                                              header row of `columns` and, per row of values, the first
 *                                              as the row's header
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  var element = Memo.element;

  function number(value) {
    if (value == null || !isFinite(value)) return "–";
    return value === 0 ? "0" : Number(value).toPrecision(3);
  }

  function guesses(list) {
    if (!list || !list.length) return "–";
    return list
      .map(function (g) {
        return g.word + " " + Memo.percent(g.probability);
      })
      .join(", ");
  }

  function characterName(c) {
    return c === " " ? "space" : c;
  }

  Memo.tableMode = function (body, caption) {
    var button = Memo.button("memo-toggle memo-table-toggle", "Show as a table");
    button.setAttribute("aria-pressed", "false");
    var wrap = element("div", "memo-table-scroll memo-conn-table");
    wrap.hidden = true;
    wrap.setAttribute("tabindex", "0");
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", caption);
    body.setAttribute("data-table", "off");
    var last = null;
    var mode = { button: button, element: wrap };

    function draw() {
      if (wrap.hidden || !last) return;
      var text = last.text;
      var table = element("table", "memo-table");
      table.appendChild(element("caption", null, caption + ", for the output at index " + last.selected));
      var head = element("tr");
      ["position", "character"].forEach(function (name) {
        var th = element("th", null, name);
        th.setAttribute("scope", "col");
        head.appendChild(th);
      });
      last.panels.forEach(function (p) {
        [p.name + ": connectivity to the output", p.name + ": top predictions here"].forEach(function (name) {
          var th = element("th", null, name);
          th.setAttribute("scope", "col");
          head.appendChild(th);
        });
      });
      table.appendChild(element("thead")).appendChild(head);
      var rows = element("tbody");
      for (var i = 0; i < last.length; i++) {
        var tr = element("tr");
        if (i === last.selected) tr.className = "memo-selected-row";
        var th = element("th", null, String(i));
        th.setAttribute("scope", "row");
        tr.appendChild(th);
        tr.appendChild(element("td", null, characterName(text[i])));
        last.panels.forEach(function (p) {
          tr.appendChild(element("td", null, i <= last.selected ? number(p.row[i]) : "–"));
          tr.appendChild(element("td", null, guesses(p.top ? p.top(i) : null)));
        });
        rows.appendChild(tr);
      }
      table.appendChild(rows);
      wrap.textContent = "";
      wrap.appendChild(table);
    }

    mode.show = function (text, length, selected, panels) {
      last = { text: text, length: length, selected: selected, panels: panels };
      draw();
    };
    button.addEventListener("click", function () {
      var on = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", String(on));
      button.textContent = on ? "Hide the table" : "Show as a table";
      wrap.hidden = !on;
      body.setAttribute("data-table", on ? "on" : "off");
      draw();
    });
    return mode;
  };

  Memo.valueTable = function (caption, columns, rows) {
    var wrap = element("div", "memo-table-scroll");
    wrap.setAttribute("tabindex", "0");
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", caption);
    var table = element("table", "memo-table");
    table.appendChild(element("caption", null, caption));
    var head = element("tr");
    columns.forEach(function (name) {
      var c = element("th", null, name);
      c.setAttribute("scope", "col");
      head.appendChild(c);
    });
    table.appendChild(element("thead")).appendChild(head);
    var tbody = element("tbody");
    rows.forEach(function (values) {
      var tr = element("tr");
      values.forEach(function (v, k) {
        var c = element(k === 0 ? "th" : "td", null, v);
        if (k === 0) c.setAttribute("scope", "row");
        tr.appendChild(c);
      });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    wrap.appendChild(table);
    return wrap;
  };
})();
