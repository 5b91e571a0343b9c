/* 50-colours.js: the page's colours. The connectivity ramp (Memo.colour, Memo.textColour; build/render/og_image.py
 * draws the social preview with the same ramp, and tests/test_render_og_image.py holds the two together), and
 * each model's colour class (Memo.colourClass): memo-colour-N for the N-th model of the manifest, whose
 * colour is figures.css's --memo-colour-N in the light and the dark scheme.
 */
(function () {
  "use strict";

  var Memo = window.Memo;

  // d3's viridis ramp (256 colours), entries 72..171: the part the original's figures use, t in [0.29, 0.667].
  var VIRIDIS_FIRST = 72;
  var VIRIDIS = (
    "375b8d365c8d365d8d355e8d355f8d34608d34618d33628d33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e" +
    "2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e" +
    "287c8e287d8e277e8e277f8e27808e26818e26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d" +
    "228c8d228d8d218e8d218f8d21908d21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a" +
    "1e9c891e9d891f9e891f9f881fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab82" +
    "25ac8226ad8127ad8128ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b878"
  )
    .match(/.{6}/g)
    .map(function (hex) {
      return [0, 2, 4].map(function (i) {
        return parseInt(hex.slice(i, i + 2), 16);
      });
    });
  var LOW = 0.29;
  var HIGH = 2 / 3;

  function rgb(ratio) {
    ratio = Number(ratio);
    if (!(ratio > 0)) ratio = 0;
    if (ratio > 1) ratio = 1;
    var position = (LOW + ratio * (HIGH - LOW)) * 256 - 0.5 - VIRIDIS_FIRST; // entry i sits at (i + 0.5) / 256
    position = Math.max(0, Math.min(VIRIDIS.length - 1, position));
    var i = Math.floor(position);
    var j = Math.min(VIRIDIS.length - 1, i + 1);
    var f = position - i;
    return [0, 1, 2].map(function (c) {
      return Math.round(VIRIDIS[i][c] + f * (VIRIDIS[j][c] - VIRIDIS[i][c]));
    });
  }

  /** Memo.colour(ratio) -> CSS colour of a value as a fraction of its row's largest value. */
  Memo.colour = function (ratio) {
    var c = rgb(ratio);
    return "rgb(" + c[0] + ", " + c[1] + ", " + c[2] + ")";
  };

  function luminance(c) {
    var linear = c.map(function (v) {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  }

  /** Memo.textColour(ratio) -> black or white, whichever contrasts more with Memo.colour(ratio). */
  Memo.textColour = function (ratio) {
    var l = luminance(rgb(ratio));
    return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "#000" : "#fff";
  };

  /** How many model colours figures.css defines (--memo-colour-0 .. --memo-colour-5). */
  Memo.MODEL_COLOURS = 6;

  /** Memo.colourClass(key, fallback) -> "memo-colour-N": N is model `key`'s position in the manifest's
   * list (`fallback`, default 0, for a key the manifest does not list), counted modulo the colours. */
  Memo.colourClass = function (key, fallback) {
    var i = Memo.modelIndex(key);
    if (i < 0) i = fallback || 0;
    return "memo-colour-" + (i % Memo.MODEL_COLOURS);
  };
})();
