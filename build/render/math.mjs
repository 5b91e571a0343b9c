// KaTeX at build time for build/render/mathml.py: reads [{"tex": "...", "display": true}, ...] as JSON on stdin
// and prints the MathML of each (or {"error": "..."}) as a JSON list, so the page typesets nothing.
import katex from "katex";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const rendered = JSON.parse(input).map(({ tex, display }) => {
  try {
    return { html: katex.renderToString(tex, { displayMode: display, output: "mathml", throwOnError: true }) };
  } catch (error) {
    return { error: String(error.message || error) };
  }
});
process.stdout.write(JSON.stringify(rendered));
