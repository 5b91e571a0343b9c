// The units figure's diagrams at build time, for build/render/snapshots.py: reads a JSON list of unit
// names on stdin and prints [{unit, svg, equations, description}] (null for a unit units.js does not
// draw). It runs the page's own js/lib/60-dom.js and js/figures/units.js on a small stand-in for the
// DOM, so a reader without JavaScript sees the diagrams the page draws, not a copy of them.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "article", "static", "js");

/** Escapes text for XML. */
function escape(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

/** Just enough of a DOM node for the drawing code: attributes, children, text, classes. */
class Element {
  constructor(tag) {
    this.tagName = tag;
    this.attributes = new Map();
    this.childNodes = [];
    this.style = {};
    const self = this;
    this.classList = {
      add(...names) {
        const have = (self.getAttribute("class") || "").split(/\s+/).filter(Boolean);
        self.setAttribute("class", [...have, ...names.filter((n) => !have.includes(n))].join(" "));
      },
      toggle(name, on) {
        const have = (self.getAttribute("class") || "").split(/\s+/).filter((n) => n && n !== name);
        self.setAttribute("class", (on ? [...have, name] : have).join(" "));
      },
    };
  }
  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }
  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }
  removeAttribute(name) {
    this.attributes.delete(name);
  }
  set className(value) {
    this.setAttribute("class", value);
  }
  get className() {
    return this.getAttribute("class") || "";
  }
  appendChild(child) {
    this.childNodes.push(child);
    return child;
  }
  set textContent(text) {
    this.childNodes = [new Text(text)];
  }
  get textContent() {
    return this.childNodes.map((c) => c.textContent).join("");
  }
  addEventListener() {}
  serialise() {
    const attributes = [...this.attributes].map(([k, v]) => ` ${k}="${escape(v)}"`).join("");
    return `<${this.tagName}${attributes}>${this.childNodes.map((c) => c.serialise()).join("")}</${this.tagName}>`;
  }
}

class Text {
  constructor(text) {
    this.textContent = String(text);
  }
  serialise() {
    return escape(this.textContent);
  }
}

const document = {
  createElement: (tag) => new Element(tag),
  createElementNS: (ns, tag) => new Element(tag),
  createTextNode: (text) => new Text(text),
  querySelectorAll: () => [],
};
const context = vm.createContext({ window: { Memo: { register() {} } }, document });
for (const script of ["lib/60-dom.js", "figures/units.js"]) {
  vm.runInContext(readFileSync(join(SCRIPTS, script), "utf8"), context, { filename: script });
}
const diagrams = context.window.Memo.unitDiagrams;

let input = "";
for await (const chunk of process.stdin) input += chunk;
const drawn = JSON.parse(input).map((unit) => {
  if (!Object.prototype.hasOwnProperty.call(diagrams, unit)) return null;
  const result = diagrams[unit]();
  result.svg.setAttribute("xmlns", "http://www.w3.org/2000/svg"); // a document of its own, or nested
  return { unit, svg: result.svg.serialise(), equations: result.equations, description: result.description };
});
process.stdout.write(JSON.stringify(drawn));
