"""The page's connectivity graphs timed outside the browser (bench/browser.py): onnxruntime in Python and
onnxruntime-web's WASM backend under Node, each on one thread, the same files and text as in the page."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from build.dataset import encode_text

ROOT = Path(__file__).resolve().parent.parent
NODE_SCRIPT = ROOT / "bench" / "js" / "time_connectivity.mjs"


def _graph(site: Path, key: str) -> tuple[Path, Path]:
    directory = site / "models" / key
    return directory / "connectivity.web.onnx", directory / "weights.web.bin"


def python_connectivity(site: Path, key: str, text: str, repeats: int) -> list[float]:
    """Milliseconds per run of model `key`'s connectivity graph at the last character of `text`."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    graph, _ = _graph(site, key)
    session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    feeds = {
        "chars": encode_text(text).astype(np.int64),
        "position": np.array(len(text) - 1, np.int64),
        "target": np.array(-1, np.int64),
    }
    session.run(None, feeds)  # warm-up
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        session.run(None, feeds)
        times.append(1000 * (time.perf_counter() - begin))
    return times


def node_connectivity(site: Path, key: str, text: str, repeats: int) -> list[float]:
    """The same in onnxruntime-web under Node (the npm package the site vendors)."""
    graph, weights = _graph(site, key)
    ids = json.dumps(encode_text(text).astype(int).tolist())
    result = subprocess.run(
        ["node", str(NODE_SCRIPT), str(graph), str(weights) if weights.exists() else "-", ids, str(repeats)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])["times"]
