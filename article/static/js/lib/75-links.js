/* 75-links.js: links to the state of a figure. A figure's anchor is its id (build/render/figures.py: the
 * block's id= option, else its kind); its state travels in the URL fragment as "#<anchor>?<parameters>",
 * form-encoded: index.html#autocomplete?model=lstm&text=the+river. The numbered id of earlier builds
 * (figure-autocomplete-4, a span inside the figure) names the same figure.
 *
 *   Memo.linkedFigure()            the figure the page's fragment names, or null
 *   Memo.linkParams(figure)        {name: raw string} of the fragment when it names this figure, else {}
 *   Memo.linkedState(figure, read) the parameters, each checked by read[name](raw, values so far) (which
 *                                  returns undefined for a bad value): {} when any is bad, so a hostile or
 *                                  broken link leaves the figure in its default state
 *   Memo.keepState(figure, state)  state() gives the figure's parameters now ({name: value}, "" or null
 *                                  left out); Memo.saveState(figure) puts them in the address bar
 *                                  (history.replaceState, debounced, no history entry), Memo.stateLink
 *                                  (figure) is the whole link
 *   Memo.linkText(raw), Memo.linkModel(raw), Memo.linkPosition(raw, length): the common checks
 *   Memo.linkSubset(all) reads "a,b" ("none": none of them), the keys of a row of toggles shown pressed;
 *   Memo.subsetParam(on, all) writes it from {key: pressed} (null, left out, when all are: the default)
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  var SAVE_DELAY = 250; // ms: hovering across a passage changes its position many times a second
  var MAX_FRAGMENT = 20000; // characters: a longer fragment is no link of this page's

  /** {anchor, query} of the page's fragment ("" when none). */
  function fragment() {
    var hash = location.hash.slice(1);
    if (!hash || hash.length > MAX_FRAGMENT) return { anchor: "", query: "" };
    var mark = hash.indexOf("?");
    var anchor = mark < 0 ? hash : hash.slice(0, mark);
    try {
      anchor = decodeURIComponent(anchor);
    } catch (error) {
      return { anchor: "", query: "" };
    }
    return { anchor: anchor, query: mark < 0 ? "" : hash.slice(mark + 1) };
  }

  /** The figure with id `anchor`, or holding an element with that id (its old numbered alias). */
  function figureNamed(anchor) {
    if (!anchor) return null;
    var element = document.getElementById(anchor);
    if (!element) return null;
    return element.matches("figure[data-figure]") ? element : element.closest("figure[data-figure]");
  }

  Memo.linkedFigure = function () {
    return figureNamed(fragment().anchor);
  };

  Memo.linkParams = function (figure) {
    var found = fragment();
    if (!found.query || figureNamed(found.anchor) !== figure) return {};
    var params = {};
    new URLSearchParams(found.query).forEach(function (value, name) {
      params[name] = value;
    });
    return params;
  };

  Memo.linkedState = function (figure, read) {
    var params = Memo.linkParams(figure);
    var values = {};
    var names = Object.keys(read);
    for (var i = 0; i < names.length; i++) {
      var name = names[i];
      if (!(name in params)) continue;
      var value = read[name](params[name], values);
      if (value === undefined) {
        console.warn("memo: the link's " + name + "=" + String(params[name]).slice(0, 40) + " does not fit figure #" + figure.id + "; showing its default state");
        return {};
      }
      values[name] = value;
    }
    return values;
  };

  /** A text of the alphabet (letters and spaces, any case) within the figures' limit, lower-cased. */
  Memo.linkText = function (raw) {
    if (typeof raw !== "string" || raw.length > Memo.MAX_TEXT || !/^[A-Za-z ]*$/.test(raw)) return undefined;
    return raw.toLowerCase();
  };

  /** A model key of the manifest. */
  Memo.linkModel = function (raw) {
    return Memo.modelIndex(raw) >= 0 ? raw : undefined;
  };

  /** An index 0 <= i < length, written as digits. */
  Memo.linkPosition = function (raw, length) {
    if (!/^[0-9]{1,6}$/.test(raw)) return undefined;
    var i = parseInt(raw, 10);
    return i < length ? i : undefined;
  };

  /** One of `choices`. */
  Memo.linkChoice = function (choices) {
    return function (raw) {
      return choices.indexOf(raw) >= 0 ? raw : undefined;
    };
  };

  /** Some of the keys `all`, comma-separated, each once; "none" for none. */
  Memo.linkSubset = function (all) {
    return function (raw) {
      if (raw === "none") return [];
      var keys = String(raw).split(",");
      var fits = keys.every(function (k, i) {
        return all.indexOf(k) >= 0 && keys.indexOf(k) === i;
      });
      return fits ? keys : undefined;
    };
  };

  Memo.subsetParam = function (on, all) {
    var keys = all.filter(function (k) {
      return on[k];
    });
    if (keys.length === all.length) return null;
    return keys.length ? keys.join(",") : "none";
  };

  /** {key: whether `keys` (a linkSubset's value, or undefined: all) holds it} for each of `all`. */
  Memo.subsetState = function (keys, all) {
    var on = {};
    all.forEach(function (k) {
      on[k] = !keys || keys.indexOf(k) >= 0;
    });
    return on;
  };

  function encode(figure) {
    var state = figure.memoState ? figure.memoState() : {};
    var query = new URLSearchParams();
    Object.keys(state).forEach(function (name) {
      var value = state[name];
      if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
    });
    var text = query.toString();
    return "#" + encodeURIComponent(figure.id) + (text ? "?" + text : "");
  }

  Memo.keepState = function (figure, state) {
    figure.memoState = state;
  };

  Memo.stateLink = function (figure) {
    return location.href.split("#")[0] + encode(figure);
  };

  Memo.saveState = function (figure) {
    clearTimeout(figure.memoSaving);
    figure.memoSaving = setTimeout(function () {
      try {
        history.replaceState(history.state, "", encode(figure));
      } catch (error) {
        console.warn("memo: the address bar could not follow the figure", error);
      }
    }, SAVE_DELAY);
  };
})();

/* The figure menu: under every figure, "Copy link" (to the state the figure shows now) and "Embed" (an
 * <iframe> of site/figures/<anchor>.html); the field beside them shows the link or the HTML, selected, for
 * copying by hand where the clipboard is refused. Memo.figureMenu(figure)
 * adds it once (80-registry.js, before the figure's own script runs) and returns it, so other controls
 * (downloads, embedding) can join it.
 */
(function () {
  "use strict";

  var Memo = window.Memo;

  function copied(field, status, what) {
    status.textContent = what === "link" ? "Link copied." : "HTML copied.";
    field.select();
  }

  Memo.figureMenu = function (figure) {
    if (figure.memoMenu) return figure.memoMenu;
    var menu = Memo.element("div", "memo-fig memo-figure-menu"); // memo-fig: the figures' button styles
    menu.setAttribute("role", "group");
    var number = figure.querySelector(".figure-number");
    menu.setAttribute("aria-label", (number ? number.textContent.replace(/:$/, "") + ": " : "") + "link, embedding and downloads");
    var copy = Memo.button("memo-copy-link", "Copy link");
    copy.title = "A link to this figure as it is now";
    var field = Memo.element("input", "memo-link-field");
    field.type = "text";
    field.readOnly = true;
    field.hidden = true;
    field.setAttribute("aria-label", "Link to this figure as it is now");
    var status = Memo.element("span", "memo-menu-status");
    status.setAttribute("role", "status");
    /** Shows `text` in the field, selected, and puts it on the clipboard where the browser lets it. */
    function offer(text, what, label) {
      field.value = text;
      field.setAttribute("aria-label", label);
      field.hidden = false;
      field.select();
      status.textContent = "";
      var clipboard = navigator.clipboard;
      var byHand = function () {
        status.textContent = "Copy the " + what + " from the field.";
      };
      if (clipboard && clipboard.writeText) {
        clipboard.writeText(text).then(function () {
          copied(field, status, what);
        }, byHand);
      } else byHand();
    }
    copy.addEventListener("click", function () {
      offer(Memo.stateLink(figure), "link", "Link to this figure as it is now");
    });
    // The figure's page of its own (site/figures/<anchor>.html) in an <iframe>, for another page.
    var embed = Memo.button("memo-embed", "Embed");
    embed.title = "HTML that shows this figure, live, in another page";
    embed.addEventListener("click", function () {
      var src = new URL("figures/" + encodeURIComponent(figure.id) + ".html", document.baseURI).href;
      var height = Math.max(200, Math.round(figure.getBoundingClientRect().height) + 60);
      var name = figure.querySelector(".figure-number");
      var title = (name ? name.textContent.replace(/:$/, "") + " of " : "") + document.title;
      var snippet =
        '<iframe src="' + src + '" title="' + title.replace(/"/g, "&quot;") + '" width="100%" height="' + height +
        '" style="border:0" loading="lazy"></iframe>';
      offer(snippet, "HTML", "HTML to embed this figure in another page");
    });
    menu.appendChild(copy);
    menu.appendChild(embed);
    menu.appendChild(field);
    menu.appendChild(status);
    if (Memo.exportControls) Memo.exportControls(figure, menu, status); // 76-export.js: downloads
    figure.insertBefore(menu, figure.querySelector("figcaption"));
    figure.memoMenu = menu;
    return menu;
  };
})();
