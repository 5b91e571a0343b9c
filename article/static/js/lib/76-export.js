/* 76-export.js: a figure as a file. The figure menu (75-links.js) gets "Download SVG", "Download PNG" and
 * "Download data" (and "Download CSV" where the data is a table):
 *
 *   Memo.figureSVG(figure)   a standalone SVG of the figure as it is on screen: each visible box with a
 *                            background or border a rect, each line of text a text element, each chart
 *                            (inline SVG) copied with its computed colours and fonts inline; a footer
 *                            cites the page, the figure's link and the run
 *   PNG                      that SVG drawn at twice the screen's resolution
 *   Memo.keepData(figure, data)  data() -> {json: value, csv: text or null} of the state shown; a figure
 *                            that keeps none gives its charts' series (70-chart.js lists them) or its state
 *   Memo.figureData(figure)  what "Download data" writes: the figure's data with the page, the link, the
 *                            run, the profile and the commit beside it
 * File names say the figure, its model and the run: owntext-gru-small.svg.
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var SKIP = ".memo-figure-menu, .memo-controls, .memo-toggles, button, select, .visually-hidden, .memo-status:empty, .memo-tooltip, .memo-noscript, details:not([open]) > :not(summary)";
  var CHART_STYLES = ["fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray", "stroke-linecap", "stroke-linejoin", "opacity", "font-size", "font-family", "font-weight", "text-anchor", "dominant-baseline"];

  function escapeXml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function visibleColour(colour) {
    return colour && colour !== "transparent" && !/rgba\([^)]*,\s*0\)$/.test(colour);
  }

  function run() {
    var manifest = Memo.manifest || {};
    return { run: manifest.run || "", profile: manifest.profile || "", commit: manifest.commit || "" };
  }

  /** The model a file's name names: the one the figure shows (its state's, else its data-model), else
   * the first it lists, the manifest's first (owntext-gru-small.svg). */
  function modelOf(figure) {
    var state = figure.memoState ? figure.memoState() : {};
    return state.model || figure.getAttribute("data-model") || (Memo.models()[0] || {}).key || "";
  }

  function fileName(figure, extension) {
    var parts = [figure.id || figure.getAttribute("data-figure") || "figure", modelOf(figure), run().run];
    return parts.filter(Boolean).join("-").replace(/[^A-Za-z0-9+._-]+/g, "_") + "." + extension;
  }

  /** Where a file comes from, in lines: the figure and the page, its link, the run that made it. */
  function citationLines(figure) {
    var number = figure.querySelector(".figure-number");
    var r = run();
    var lines = [(number ? number.textContent.replace(/:$/, "") + " of " : "") + "“" + document.title + "”", Memo.stateLink(figure)];
    if (r.run) lines.push("run " + r.run + ", profile " + r.profile + ", commit " + r.commit);
    return lines;
  }

  function citation(figure) {
    return citationLines(figure).join(", ");
  }

  function textStyle(style) {
    return (
      'font-family="' + escapeXml(style.fontFamily) + '" font-size="' + style.fontSize + '" font-weight="' + style.fontWeight +
      '" font-style="' + style.fontStyle + '" fill="' + style.color + '"'
    );
  }

  /** The rects and texts of element `node` and what it holds, in the coordinates of `origin`. */
  function drawBoxes(node, origin, out) {
    if (node.nodeType === Node.TEXT_NODE) {
      var text = node.textContent;
      if (!text.trim() && text.indexOf(" ") < 0) return;
      var parent = node.parentElement;
      var style = getComputedStyle(parent);
      var range = document.createRange();
      // one text element per character run on one line: a character at a time, grouped by line
      var line = null;
      for (var i = 0; i < text.length; i++) {
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        var box = range.getBoundingClientRect();
        if (!box.width && !box.height) continue;
        if (line && Math.abs(box.top - line.top) < 1 && box.left >= line.right - 1) {
          line.text += text[i];
          line.right = box.right;
        } else {
          if (line) out.push(textElement(line, style));
          line = { text: text[i], left: box.left - origin.left, right: box.right, top: box.top, y: box.top - origin.top, height: box.height };
        }
      }
      if (line) out.push(textElement(line, style));
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE || node.matches(SKIP)) return;
    var css = getComputedStyle(node);
    if (css.display === "none" || css.visibility === "hidden" || node.hidden) return;
    var rect = node.getBoundingClientRect();
    if (!rect.width && !rect.height && node.tagName !== "svg") return;
    if (node instanceof SVGSVGElement) {
      out.push(chartCopy(node, rect, origin));
      return;
    }
    var x = rect.left - origin.left;
    var y = rect.top - origin.top;
    var radius = parseFloat(css.borderTopLeftRadius) || 0;
    var fill = visibleColour(css.backgroundColor) ? css.backgroundColor : "none";
    var borderWidth = parseFloat(css.borderTopWidth) || 0;
    var stroke = borderWidth > 0 && css.borderTopStyle !== "none" && visibleColour(css.borderTopColor) ? css.borderTopColor : "none";
    if (fill !== "none" || stroke !== "none") {
      out.push(
        '<rect x="' + x.toFixed(1) + '" y="' + y.toFixed(1) + '" width="' + rect.width.toFixed(1) + '" height="' + rect.height.toFixed(1) +
          '" rx="' + radius + '" fill="' + fill + '" stroke="' + stroke + '" stroke-width="' + (stroke === "none" ? 0 : borderWidth) + '"/>'
      );
    }
    if (node.tagName === "TEXTAREA" || node.tagName === "INPUT") {
      out.push(
        '<text x="' + (x + 6).toFixed(1) + '" y="' + (y + parseFloat(css.fontSize) * 1.3).toFixed(1) + '" ' + textStyle(css) + ">" +
          escapeXml(node.value) + "</text>"
      );
      return;
    }
    for (var child = node.firstChild; child; child = child.nextSibling) drawBoxes(child, origin, out);
  }

  function textElement(line, style) {
    var baseline = line.y + line.height * 0.78;
    return (
      '<text x="' + line.left.toFixed(1) + '" y="' + baseline.toFixed(1) + '" xml:space="preserve" ' + textStyle(style) + ">" +
      escapeXml(line.text) + "</text>"
    );
  }

  /** An inline SVG (a chart) copied with the styles CSS gave each of its parts written into it. */
  function chartCopy(svg, rect, origin) {
    var copy = svg.cloneNode(true);
    var sources = svg.querySelectorAll("*");
    var targets = copy.querySelectorAll("*");
    for (var i = 0; i < sources.length; i++) {
      var css = getComputedStyle(sources[i]);
      var inline = CHART_STYLES.map(function (name) {
        var value = css.getPropertyValue(name);
        return value ? name + ":" + value : "";
      })
        .filter(Boolean)
        .join(";");
      targets[i].setAttribute("style", inline);
      targets[i].removeAttribute("class");
    }
    copy.removeAttribute("class");
    copy.removeAttribute("tabindex");
    copy.removeAttribute("aria-describedby");
    copy.setAttribute("x", (rect.left - origin.left).toFixed(1));
    copy.setAttribute("y", (rect.top - origin.top).toFixed(1));
    copy.setAttribute("width", rect.width.toFixed(1));
    copy.setAttribute("height", rect.height.toFixed(1));
    return new XMLSerializer().serializeToString(copy);
  }

  Memo.figureSVG = function (figure) {
    var body = figure.querySelector(".figure-body");
    var origin = body.getBoundingClientRect();
    var parts = [];
    drawBoxes(body, origin, parts);
    var width = Math.ceil(origin.width);
    var height = Math.ceil(origin.height);
    var page = getComputedStyle(document.body);
    var background = visibleColour(page.backgroundColor) ? page.backgroundColor : "#ffffff";
    var footer = citationLines(figure).map(function (line, i) {
      return (
        '<text x="0" y="' + (height + 16 + 13 * i) + '" font-family="sans-serif" font-size="10" fill="' + page.color + '">' +
        escapeXml(line) + "</text>"
      );
    });
    var total = height + 10 + 13 * footer.length;
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="' + SVG_NS + '" width="' + width + '" height="' + total +
      '" viewBox="0 0 ' + width + " " + total + '">\n<title>' + escapeXml(citation(figure)) + "</title>\n" +
      '<rect width="100%" height="100%" fill="' + background + '"/>\n' + parts.join("\n") + "\n" + footer.join("\n") + "\n</svg>\n"
    );
  };

  Memo.keepData = function (figure, data) {
    figure.memoDataOf = data;
  };

  /** Rows [[...], ...] as CSV (RFC 4180 quoting). */
  Memo.csv = function (rows) {
    return rows
      .map(function (row) {
        return row
          .map(function (cell) {
            var text = cell === null || cell === undefined ? "" : String(cell);
            return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
          })
          .join(",");
      })
      .join("\n") + "\n";
  };

  /** A figure without data of its own: its charts' series (x, y and the band), or else its state. */
  function chartData(figure) {
    var charts = figure.memoCharts || [];
    if (!charts.length) return { json: { state: figure.memoState ? figure.memoState() : {} }, csv: null };
    var rows = [["chart", "series", "x", "y", "low", "high"]];
    var json = charts.map(function (chart, c) {
      return chart.series.map(function (s) {
        var band = {};
        (s.band || []).forEach(function (b) {
          band[b[0]] = b;
        });
        s.points.forEach(function (p) {
          var b = band[p[0]] || [];
          rows.push([c, s.label, p[0], p[1], b[1], b[2]]);
        });
        return { id: s.id, label: s.label, points: s.points, band: s.band || null };
      });
    });
    return { json: { charts: json }, csv: Memo.csv(rows) };
  }

  function dataOf(figure) {
    return figure.memoDataOf ? figure.memoDataOf() : chartData(figure);
  }

  Memo.figureData = function (figure) {
    var r = run();
    return Object.assign(
      {
        figure: figure.id,
        kind: figure.getAttribute("data-figure"),
        page: document.title,
        link: Memo.stateLink(figure),
        run: r.run,
        profile: r.profile,
        commit: r.commit,
        state: figure.memoState ? figure.memoState() : {},
      },
      { data: dataOf(figure).json }
    );
  };

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 10000);
  }

  function png(figure, status) {
    var svg = Memo.figureSVG(figure);
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = image.width * 2;
      canvas.height = image.height * 2;
      var context = canvas.getContext("2d");
      context.scale(2, 2);
      context.drawImage(image, 0, 0);
      canvas.toBlob(function (blob) {
        if (blob) save(blob, fileName(figure, "png"));
        else status.textContent = "The PNG could not be made.";
      }, "image/png");
    };
    image.onerror = function () {
      status.textContent = "The PNG could not be made.";
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
  }

  /** The download controls of a figure's menu. */
  Memo.exportControls = function (figure, menu, status) {
    function add(className, text, action) {
      var b = Memo.button(className, text);
      b.addEventListener("click", function () {
        try {
          action();
        } catch (error) {
          console.warn("memo: " + text + " failed", error);
          status.textContent = text + " failed: " + (error && error.message ? error.message : error);
        }
      });
      menu.insertBefore(b, status);
      return b;
    }
    add("memo-download-svg", "Download SVG", function () {
      save(new Blob([Memo.figureSVG(figure)], { type: "image/svg+xml" }), fileName(figure, "svg"));
    });
    add("memo-download-png", "Download PNG", function () {
      png(figure, status);
    });
    add("memo-download-data", "Download data", function () {
      save(new Blob([JSON.stringify(Memo.figureData(figure), null, 1) + "\n"], { type: "application/json" }), fileName(figure, "json"));
    });
    var csvButton = add("memo-download-csv", "Download CSV", function () {
      var cite = Memo.csv([["# " + citation(figure)]]);
      save(new Blob([dataOf(figure).csv + cite], { type: "text/csv" }), fileName(figure, "csv"));
    });
    // only where the data is a table, which the figure knows once it is drawn
    var body = figure.querySelector(".figure-body");
    function offerCsv() {
      var ready = body && body.getAttribute("data-state") === "ready";
      csvButton.hidden = !(ready && dataOf(figure).csv);
    }
    offerCsv();
    if (body) new MutationObserver(offerCsv).observe(body, { attributes: true, attributeFilter: ["data-state", "data-updates"] });
  };
})();
