/* 20-text.js: text as the models read it: the corpus's normalisation (Memo.normalise, Memo.prepare,
 * Memo.encode) and the words the figures use to describe a text (Memo.wordAt, Memo.connectivityShares,
 * Memo.characterName, Memo.textNote, Memo.wordLabel, Memo.percent, Memo.andJoin).
 */
(function () {
  "use strict";

  var Memo = window.Memo;
  var MAX_TEXT = 1000;
  var DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

  /** The most characters a live figure feeds its models. */
  Memo.MAX_TEXT = MAX_TEXT;

  // Characters that normalising does not lose: ASCII letters, digits and whitespace (Python's str.isspace
  // on ASCII). Any other character (punctuation, accents, emoji, non-ASCII spaces) counts as dropped.
  var KEPT = /[A-Za-z0-9\t\n\v\f\r\x1c-\x1f ]/;

  /** The corpus's normalisation (build/corpus.py normalise) and how many characters it dropped. */
  Memo.normalise = function (text) {
    text = text == null ? "" : String(text);
    var dropped = 0;
    for (var i = 0; i < text.length; i++) {
      var code = text.charCodeAt(i);
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
        var next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) i++; // one character outside the BMP (an emoji)
        dropped++;
      } else if (!KEPT.test(text[i])) {
        dropped++;
      }
    }
    var lower = text.replace(/[A-Z]+/g, function (run) {
      return run.toLowerCase();
    });
    var spelled = lower.replace(/[0-9]/g, function (digit) {
      return " " + DIGIT_WORDS[digit.charCodeAt(0) - 48] + " ";
    });
    return { text: spelled.replace(/[^a-z]+/g, " ").replace(/^ | $/g, ""), dropped: dropped };
  };

  /** Memo.prepare(raw, keepTrailingSpace) -> {text, dropped, cut}: what a live figure feeds its model.
   * text is " " + the normalised text (the corpus feeds each word as " " + word), at most MAX_TEXT
   * characters, or "" when nothing is left; with keepTrailingSpace a raw text ending in a word break keeps
   * one trailing space (the autocomplete then predicts the next word, as in the original's figure). */
  Memo.prepare = function (raw, keepTrailingSpace) {
    raw = raw == null ? "" : String(raw);
    var normalised = Memo.normalise(raw);
    if (!normalised.text) return { text: "", dropped: normalised.dropped, cut: 0 };
    var text = " " + normalised.text;
    if (keepTrailingSpace && /[^A-Za-z]$/.test(raw)) text += " ";
    var cut = Math.max(0, 1 + normalised.text.length - MAX_TEXT); // a trailing space that does not fit is no loss
    return { text: text.slice(0, MAX_TEXT), dropped: normalised.dropped, cut: cut };
  };

  /** Memo.textNote(prepared) -> what a live figure tells the reader about a Memo.prepare result: the
   * characters normalising dropped and those cut past MAX_TEXT ("" when none). */
  Memo.textNote = function (prepared) {
    var parts = [];
    if (prepared.dropped) {
      parts.push(
        prepared.dropped + (prepared.dropped === 1 ? " character was" : " characters were") +
          " dropped: the models read only the letters a–z, digits (spelled out) and spaces."
      );
    }
    if (prepared.cut) {
      parts.push("The text was cut to its first " + MAX_TEXT + " characters (" + prepared.cut + " more were not read).");
    }
    return parts.join(" ");
  };

  /** Memo.wordAt(text, index) -> {start, end, word, read, rest}: the word output index `index` of a text asks
   * for (the space before a word belongs to it); start is the index of that space (-1: none), read the
   * letters of the word up to index, rest the letters after it. */
  Memo.wordAt = function (text, index) {
    var start = text.lastIndexOf(" ", index);
    var end = text.indexOf(" ", index + 1);
    if (end < 0) end = text.length;
    return {
      start: start,
      end: end,
      word: text.slice(start + 1, end),
      read: text.slice(start + 1, index + 1),
      rest: text.slice(index + 1, end),
    };
  };

  /** Memo.connectivityShares(text, row, index) -> {before, word, strongest}: how the connectivity of output
   * `index` (row: one value per character up to it) splits between the characters before the word being
   * read (`before`) and that word's space and letters (`word`), as fractions of their sum, and the index
   * of the largest value. The words of the figures' text alternatives. */
  Memo.connectivityShares = function (text, row, index) {
    var start = Memo.wordAt(text, index).start;
    var before = 0;
    var total = 0;
    var strongest = 0;
    for (var i = 0; i <= index && i < row.length; i++) {
      var v = Number(row[i]) || 0;
      total += v;
      if (i < start) before += v;
      if (v > (Number(row[strongest]) || 0)) strongest = i;
    }
    return total > 0 ? { before: before / total, word: 1 - before / total, strongest: strongest }
      : { before: 0, word: 0, strongest: -1 };
  };

  /** Memo.characterName(text, index) -> character `index` of a text, in words: "the space before “grammar”"
   * or "“m” of “grammar”". */
  Memo.characterName = function (text, index) {
    var word = Memo.wordAt(text, index).word;
    return text[index] === " " ? "the space before “" + word + "”" : "“" + text[index] + "” of “" + word + "”";
  };

  var WORD_LABELS = { "<eos>": "(end of text)", "<unknown>": "(an unknown word)" };

  /** Memo.wordLabel(word) -> how a vocabulary word is shown: the special classes in words, others as they are. */
  Memo.wordLabel = function (word) {
    return Object.prototype.hasOwnProperty.call(WORD_LABELS, word) ? WORD_LABELS[word] : word;
  };

  /** Memo.percent(p) -> a probability as a percentage: "49.0%", "1.23%", "0.012%". */
  /** "A, B and C", as the page's text joins a list (build/render/template.py and_join). */
  Memo.andJoin = function (items) {
    return items.length > 1 ? items.slice(0, -1).join(", ") + " and " + items[items.length - 1] : items.join("");
  };

  Memo.percent = function (p) {
    var value = p * 100;
    return (value >= 10 ? value.toFixed(1) : value >= 0.1 ? value.toFixed(2) : value.toPrecision(2)) + "%";
  };

  /** Alphabet ids of a normalised text: space 1, a..z 2..27 (anything else is an error, not a guess). */
  Memo.encode = function (text) {
    var ids = new BigInt64Array(text.length);
    for (var i = 0; i < text.length; i++) {
      var code = text.charCodeAt(i);
      if (code === 32) ids[i] = 1n;
      else if (code >= 97 && code <= 122) ids[i] = BigInt(code - 95);
      else throw new Error("cannot encode “" + text[i] + "”: normalise the text first");
    }
    return ids;
  };
})();
