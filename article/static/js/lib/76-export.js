/* 76-export.js: a figure as a file. The figure menu (75-links.js) gets "Download SVG", "Download PNG" and
 * "Download data" (and "Download CSV" where the data is a table):
 *
 *   Memo.figureSVG(figure)   a standalone SVG of the figure as it is on screen: each visible box with a
 *                            background, gradient, border or outline a rect, each line of text a text
 *                            element (with what CSS adds before and after it: rank numbers, marks),
 *                            each chart (inline SVG) copied with its computed colours and fonts inline;
 *                            the controls left out and the room they took closed up, a section's pressed
 *                            toggle kept as its heading, a key under the charts naming every line drawn,
 *                            and a footer that cites the page, the figure's link and the run
 *   PNG                      that SVG drawn at twice the screen's resolution
 *   Memo.keepData(figure, data)  data() -> {json: value, csv: text or null} of the state shown; a figure
 *                            that keeps none gives its charts' series (70-chart.js lists them) or its state
 *   Memo.figureData(figure)  what "Download data" writes: the figure's data with the page, the link, the
 *                            run, the profile and the commit beside it
 * File names say the figure, the model when it shows one, and the run: autocomplete-gru-small.svg,
 * accuracy-small.svg.
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  var SVG_NS = "http://www.w3.org/2000/svg";
  // a pressed toggle that shows a section (the passage's "The original's published results"): in a file
  // it is that section's heading, not a control
  var HEADING = "[aria-controls][aria-pressed=true]";
  var GAP = 8; // what is left of the room a left-out control took
  var SKIP = ".memo-figure-menu, .memo-toggles, button:not(" + HEADING + "), select, .visually-hidden, .memo-status:empty, .memo-tooltip, .memo-noscript, details:not([open]) > :not(summary)";
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

  /** The model a file's name names: the one the figure shows when it shows one (its state's, else its
   * data-model); none for a figure of several models, whose file no single model's name should label. */
  function modelOf(figure) {
    var state = figure.memoState ? figure.memoState() : {};
    return state.model || figure.getAttribute("data-model") || "";
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

  /** A part of the file: its markup and the vertical extent it covers (for closing up left-out room). */
  function part(markup, top, bottom) {
    return { markup: markup, top: top, bottom: bottom };
  }

  /** What CSS's `content` of a ::before or ::after adds as text: its quoted strings, with a counter
   * (the rank numbers of a list) read as the element's place among its siblings. */
  function generated(node, which) {
    var content = getComputedStyle(node, which).content;
    if (!content || content === "none" || content === "normal") return "";
    var place = 1;
    for (var sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
      if (sibling.tagName === node.tagName) place++;
    }
    var text = "";
    content.replace(/"((?:[^"\\]|\\.)*)"|counter\([^)]*\)/g, function (match, quoted) {
      text += quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : String(place);
      return match;
    });
    return text;
  }

  /** A CSS linear-gradient (as getComputedStyle gives it) as an SVG gradient, or null. */
  function gradient(image, id) {
    var match = /linear-gradient\((.*)\)$/.exec(image || "");
    if (!match) return null;
    var colours = match[1].match(/rgba?\([^)]*\)(\s+[\d.]+%)?/g) || [];
    if (colours.length < 2) return null;
    var vertical = /to (top|bottom)|180deg|0deg/.test(match[1].split(/rgba?\(/)[0]);
    var stops = colours.map(function (c, i) {
      var at = /([\d.]+)%$/.exec(c);
      var offset = at ? at[1] : ((100 * i) / (colours.length - 1)).toFixed(1);
      return '<stop offset="' + offset + '%" stop-color="' + c.replace(/\s+[\d.]+%$/, "") + '"/>';
    });
    return (
      '<linearGradient id="' + id + '" x1="0" y1="0" x2="' + (vertical ? 0 : 1) + '" y2="' + (vertical ? 1 : 0) + '">' +
      stops.join("") + "</linearGradient>"
    );
  }

  /** The rects and texts of element `node` and what it holds, in the coordinates of `origin`, into
   * `out` (parts); `skipped` collects the vertical extents of what was left out. */
  function drawBoxes(node, origin, out, skipped) {
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
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    var rect = node.getBoundingClientRect();
    if (node.matches(SKIP)) {
      if (rect.height) skipped.push([rect.top - origin.top, rect.bottom - origin.top]);
      return;
    }
    var css = getComputedStyle(node);
    if (css.display === "none" || css.visibility === "hidden" || node.hidden) return;
    if (!rect.width && !rect.height && node.tagName !== "svg") return;
    var x = rect.left - origin.left;
    var y = rect.top - origin.top;
    if (node instanceof SVGSVGElement) {
      out.push(part(chartCopy(node, rect, origin), y, y + rect.height));
      return;
    }
    var radius = parseFloat(css.borderTopLeftRadius) || 0;
    var fill = visibleColour(css.backgroundColor) ? css.backgroundColor : "none";
    var ramp = gradient(css.backgroundImage, "memo-export-gradient-" + out.length);
    var borderWidth = parseFloat(css.borderTopWidth) || 0;
    var stroke = borderWidth > 0 && css.borderTopStyle !== "none" && visibleColour(css.borderTopColor) ? css.borderTopColor : "none";
    if (ramp) out.push(part("<defs>" + ramp + "</defs>", y, y));
    if (fill !== "none" || stroke !== "none" || ramp) {
      out.push(
        part(
          '<rect x="' + x.toFixed(1) + '" y="' + y.toFixed(1) + '" width="' + rect.width.toFixed(1) + '" height="' + rect.height.toFixed(1) +
            '" rx="' + radius + '" fill="' + (ramp ? "url(#memo-export-gradient-" + (out.length - 1) + ")" : fill) + '" stroke="' + stroke +
            '" stroke-width="' + (stroke === "none" ? 0 : borderWidth) + '"/>',
          y,
          y + rect.height
        )
      );
    }
    if (node.tagName === "TEXTAREA" || node.tagName === "INPUT") {
      out.push(
        part(
          '<text x="' + (x + 6).toFixed(1) + '" y="' + (y + parseFloat(css.fontSize) * 1.3).toFixed(1) + '" ' + textStyle(css) + ">" +
            escapeXml(node.value) + "</text>",
          y,
          y + rect.height
        )
      );
      return;
    }
    var before = generated(node, "::before");
    if (before) {
      var lineHeight = parseFloat(css.lineHeight) || parseFloat(css.fontSize) * 1.3;
      out.push(textElement({ text: before, left: x, y: y, height: lineHeight }, getComputedStyle(node, "::before")));
    }
    for (var child = node.firstChild; child; child = child.nextSibling) drawBoxes(child, origin, out, skipped);
    var after = generated(node, "::after");
    if (after) {
      out.push(textElement({ text: after, left: x + rect.width, y: y, height: rect.height }, getComputedStyle(node, "::after")));
    }
    var outline = parseFloat(css.outlineWidth) || 0;
    if (outline > 0 && css.outlineStyle !== "none" && visibleColour(css.outlineColor)) {
      var grow = (parseFloat(css.outlineOffset) || 0) + outline / 2;
      out.push(
        part(
          '<rect x="' + (x - grow).toFixed(1) + '" y="' + (y - grow).toFixed(1) + '" width="' + (rect.width + 2 * grow).toFixed(1) +
            '" height="' + (rect.height + 2 * grow).toFixed(1) + '" fill="none" stroke="' + css.outlineColor + '" stroke-width="' + outline + '"/>',
          y,
          y + rect.height
        )
      );
    }
  }

  function textElement(line, style) {
    var baseline = line.y + line.height * 0.78;
    return part(
      '<text x="' + line.left.toFixed(1) + '" y="' + baseline.toFixed(1) + '" xml:space="preserve" ' + textStyle(style) + ">" +
        escapeXml(line.text) + "</text>",
      line.y,
      line.y + line.height
    );
  }

  /** The room left-out controls took: each stretch of the figure's height where nothing is drawn and a
   * control was, as [from, to, kept] (kept: the pixels left of it, none at the top), in order. */
  function emptyBands(parts, skipped, height) {
    var spans = parts
      .filter(function (p) {
        return p.bottom > p.top;
      })
      .map(function (p) {
        return [p.top, p.bottom];
      })
      .sort(function (a, b) {
        return a[0] - b[0];
      });
    var bands = [];
    var at = 0;
    function empty(from, to) {
      var control = skipped.some(function (s) {
        return s[0] < to && s[1] > from;
      });
      var kept = from <= 0 ? 0 : GAP;
      if (control && to - from > kept) bands.push([from, to, kept]);
    }
    spans.forEach(function (span) {
      if (span[0] > at) empty(at, span[0]);
      at = Math.max(at, span[1]);
    });
    if (height > at) empty(at, height);
    return bands;
  }

  /** How far up something at `y` moves once the bands are closed up. */
  function shiftAt(bands, y) {
    var shift = 0;
    bands.forEach(function (b) {
      if (y >= b[1] - 0.5) shift += b[1] - b[0] - b[2];
      else if (y > b[0]) shift += Math.max(0, y - b[0] - b[2]);
    });
    return shift;
  }

  /** The key of the figure's charts, as the export draws it below them: every line drawn, its colour
   * and dash as on screen, its label; -> {markup, height} at `top`, `width` wide. */
  function chartKey(figure, top, width) {
    var seen = {};
    var entries = [];
    (figure.memoCharts || []).forEach(function (chart) {
      if (!chart.svg || !chart.svg.isConnected || !chart.svg.getBoundingClientRect().width) return;
      chart.series.forEach(function (s) {
        if (seen[s.label]) return;
        var path = chart.svg.querySelector('path[data-series="' + (window.CSS && CSS.escape ? CSS.escape(s.id) : s.id) + '"]');
        if (!path) return;
        seen[s.label] = true;
        var css = getComputedStyle(path);
        entries.push({ label: s.label, stroke: css.stroke, width: css.strokeWidth, dash: css.strokeDasharray, opacity: css.opacity, markers: s.markers });
      });
    });
    if (!entries.length) return { markup: "", height: 0 };
    var page = getComputedStyle(document.body);
    var column = 230;
    var columns = Math.max(1, Math.floor(width / column));
    var rows = Math.ceil(entries.length / columns);
    var markup = entries.map(function (e, i) {
      var x = (i % columns) * column;
      var y = top + 14 + Math.floor(i / columns) * 16;
      var dash = e.dash && e.dash !== "none" ? ' stroke-dasharray="' + e.dash + '"' : "";
      return (
        '<line x1="' + x + '" x2="' + (x + 24) + '" y1="' + (y - 4) + '" y2="' + (y - 4) + '" stroke="' + e.stroke + '" stroke-width="' + e.width + '" opacity="' + e.opacity + '"' + dash + "/>" +
        (e.markers ? '<circle cx="' + (x + 12) + '" cy="' + (y - 4) + '" r="2.6" fill="' + e.stroke + '"/>' : "") +
        '<text x="' + (x + 30) + '" y="' + y + '" font-family="sans-serif" font-size="11" fill="' + page.color + '">' + escapeXml(e.label) + "</text>"
      );
    });
    return { markup: '<g class="memo-export-key">' + markup.join("") + "</g>", height: 8 + rows * 16 };
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
      if (css.visibility === "hidden") targets[i].setAttribute("visibility", "hidden");
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
    var skipped = [];
    drawBoxes(body, origin, parts, skipped);
    var bands = emptyBands(parts, skipped, origin.height);
    var width = Math.ceil(origin.width);
    var height = Math.ceil(origin.height) - Math.round(shiftAt(bands, origin.height));
    var drawn = parts.map(function (p) {
      var shift = shiftAt(bands, p.top);
      return shift > 0.05 ? '<g transform="translate(0 ' + (-shift).toFixed(1) + ')">' + p.markup + "</g>" : p.markup;
    });
    var key = chartKey(figure, height, width);
    height += key.height;
    var page = getComputedStyle(document.body);
    var background = visibleColour(page.backgroundColor) ? page.backgroundColor : "#ffffff";
    // the citation under the figure, each line wrapped to the figure's width (10 px text, about 5.5 px a
    // character) at a space, or in a link after a "/" or before its "#", "?" or "&"
    var most = Math.max(20, Math.floor(width / 5.5));
    var lines = [];
    citationLines(figure).forEach(function (line) {
      while (line.length > most) {
        var cut = Math.max(line.lastIndexOf(" ", most), line.lastIndexOf("/", most - 1) + 1, line.lastIndexOf("#", most), line.lastIndexOf("?", most), line.lastIndexOf("&", most));
        if (cut <= 0) cut = most;
        lines.push(line.slice(0, cut));
        line = line.slice(cut).replace(/^ /, "");
      }
      lines.push(line);
    });
    var footer = lines.map(function (line, i) {
      return (
        '<text x="0" y="' + (height + 16 + 13 * i) + '" font-family="sans-serif" font-size="10" fill="' + page.color + '">' +
        escapeXml(line) + "</text>"
      );
    });
    var total = height + 10 + 13 * footer.length;
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="' + SVG_NS + '" width="' + width + '" height="' + total +
      '" viewBox="0 0 ' + width + " " + total + '">\n<title>' + escapeXml(citation(figure)) + "</title>\n" +
      '<rect width="100%" height="100%" fill="' + background + '"/>\n' + drawn.join("\n") + "\n" + key.markup + "\n" + footer.join("\n") + "\n</svg>\n"
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
