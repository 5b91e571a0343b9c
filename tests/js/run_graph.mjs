// Runs one of our ONNX graphs in onnxruntime-web's WASM backend (the browser's runtime, here in Node)
// and prints its outputs as JSON, so the Python tests can compare them with onnxruntime and PyTorch.
//   node tests/js/run_graph.mjs MODEL.onnx '{"chars": [[1,2,3], "int64"], "state": [[0,0], "float32"]}' [WEIGHTS]
// WEIGHTS: the file a web graph keeps its weights in (ONNX external data), handed over as the page does.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import * as ort from "onnxruntime-web";

const [modelPath, feedsJson, weightsPath] = process.argv.slice(2);
ort.env.wasm.numThreads = 1;
const options = { executionProviders: ["wasm"] };
if (weightsPath) options.externalData = [{ path: basename(weightsPath), data: readFileSync(weightsPath) }];
const session = await ort.InferenceSession.create(readFileSync(modelPath), options);
const feeds = {};
for (const [name, [values, type]] of Object.entries(JSON.parse(feedsJson))) {
  const flat = Array.isArray(values) ? values : [values];
  const data = type === "int64" ? BigInt64Array.from(flat.map(BigInt)) : Float32Array.from(flat);
  feeds[name] = new ort.Tensor(type, data, Array.isArray(values) ? [flat.length] : []);
}
try {
  const results = await session.run(feeds);
  const out = {};
  for (const [name, tensor] of Object.entries(results)) out[name] = Array.from(tensor.data, Number);
  console.log(JSON.stringify(out));
} catch (error) {
  console.log(JSON.stringify({ error: String(error.message || error) }));
}
