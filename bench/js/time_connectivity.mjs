// Times a connectivity graph in onnxruntime-web's WASM backend under Node (one thread), the third column
// of bench/browser.py beside the page and Python's onnxruntime: the same graph and weights file the page
// loads, the same text, at its last character.
//   node bench/js/time_connectivity.mjs MODEL.web.onnx WEIGHTS.bin TEXT_IDS_JSON REPEATS
// prints {"create_ms": ..., "times": [...]} (one warm-up run first, not counted)
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import * as ort from "onnxruntime-web";

const [modelPath, weightsPath, idsJson, repeatsArg] = process.argv.slice(2);
ort.env.wasm.numThreads = 1;
const options = { executionProviders: ["wasm"] };
if (weightsPath && weightsPath !== "-") {
  options.externalData = [{ path: basename(weightsPath), data: readFileSync(weightsPath) }];
}
const begin = performance.now();
const session = await ort.InferenceSession.create(readFileSync(modelPath), options);
const createMs = performance.now() - begin;
const ids = JSON.parse(idsJson);
const scalar = (value) => new ort.Tensor("int64", BigInt64Array.of(BigInt(value)), []);
const feeds = {
  chars: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [ids.length]),
  position: scalar(ids.length - 1),
  target: scalar(-1),
};
await session.run(feeds);
const times = [];
for (let i = 0; i < Number(repeatsArg || 5); i++) {
  const start = performance.now();
  await session.run(feeds);
  times.push(performance.now() - start);
}
console.log(JSON.stringify({ create_ms: createMs, times }));
