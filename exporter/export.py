"""Stage 5, export: a trained model's two ONNX graphs (see exporter/graphs.py) and what they cost.

python -m exporter.export --model gru
  -> <run>/gru/autocomplete.onnx, connectivity.onnx (float32 weights, each graph self-contained),
     autocomplete.web.onnx, connectivity.web.onnx and weights.web.bin (for the browser: both graphs
     read the one weights file, each matrix in the smallest format that keeps agreement, see
     exporter/web.py), export.json (sizes, times, the formats and every trial of the search)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import onnx

from build import cpu, dataset, profiles
from build.checkpoints import CheckpointError, load_trained
from build.run_files import EXPORT_REPORT, model_dir, replace_bytes, write_json
from exporter import web
from exporter.graphs import autocomplete_graph, connectivity_graph
from exporter.steps import trace_step


def structure_bytes(model: onnx.ModelProto) -> int:
    """Size of the graph without its weights: what the graph itself costs to ship."""
    bare = onnx.ModelProto.FromString(model.SerializeToString())
    for tensor in bare.graph.initializer:
        if tensor.raw_data:
            tensor.ClearField("raw_data")
    return bare.ByteSize()


WEB_WEIGHTS = "weights.web.bin"  # the browser graphs' shared external data, beside them


def save(model: onnx.ModelProto, path: Path) -> None:
    replace_bytes(path, model.SerializeToString())


def export(profile: profiles.Profile, key: str) -> dict:
    """Write both graphs of model `key`, their web versions and the one weights file both read; returns
    (and writes to export.json) their sizes, the web formats chosen with every trial, and the export time."""
    model, _ = load_trained(profile, key)
    directory = model_dir(profile, key)
    started = time.perf_counter()
    steps = trace_step(model.rnn)
    graphs = {
        "autocomplete": autocomplete_graph(model, steps),
        "connectivity": connectivity_graph(model, steps),
    }
    seconds = time.perf_counter() - started
    report: dict = {
        "seconds": round(seconds, 2),
        "opset": steps.opset,
        "state_size": model.rnn.state_size,
        "graphs": {},
    }
    for name, graph in graphs.items():
        path = directory / f"{name}.onnx"
        save(graph, path)
        report["graphs"][name] = {
            "file": path.name,
            "bytes": path.stat().st_size,
            "structure_bytes": structure_bytes(graph),
            "nodes": len(graph.graph.node),
        }
    started = time.perf_counter()
    data = dataset.load(profile)
    formats, trials = web.choose_formats(model, data, web.agreement_texts(data))
    # the connectivity graph's conversions fold at load; the autocomplete's (one step a key) stay in it, so
    # that the page's cold start does not wait for float32 matrices to be made
    converted = {
        name: web.convert_graph(graph, formats, folded=name == "connectivity")
        for name, graph in graphs.items()
    }
    shared, blob = web.share_weights(
        {f"{name}.web.onnx": graph for name, graph in converted.items()},
        WEB_WEIGHTS,
        web.weight_graph_names(model),
    )
    replace_bytes(directory / WEB_WEIGHTS, blob)
    report["web"] = {
        "format": web.describe(formats, model),
        "formats": formats,
        "trials": trials,
        "seconds": round(time.perf_counter() - started, 2),
        "weights": {"file": WEB_WEIGHTS, "bytes": len(blob)},
        "graphs": {},
    }
    for name in graphs:
        path = directory / f"{name}.web.onnx"
        save(shared[path.name], path)
        onnx.checker.check_model(str(path), full_check=True)
        report["web"]["graphs"][name] = {"file": path.name, "bytes": path.stat().st_size}
    report["web"]["bytes"] = len(blob) + sum(g["bytes"] for g in report["web"]["graphs"].values())
    write_json(report, directory / EXPORT_REPORT)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="Export a trained model's ONNX graphs.")
    profiles.add_arguments(parser)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    try:
        profile = profiles.from_arguments(args)
        with cpu.settings(profile):
            report = export(profile, args.model)
    except (CheckpointError, FileNotFoundError, KeyError) as error:
        sys.exit(f"error: {error}")
    sizes = ", ".join(
        f"{n} {g['bytes'] / 1e6:.1f} MB (structure {g['structure_bytes'] / 1e3:.0f} KB)"
        for n, g in report["graphs"].items()
    )
    web_sizes = ", ".join(f"{n} {g['bytes'] / 1e3:.0f} KB" for n, g in report["web"]["graphs"].items())
    print(
        f"{args.model}: exported in {report['seconds']:.1f} s: {sizes}; for the web "
        f"({report['web']['format']}, {len(report['web']['trials'])} trials): weights "
        f"{report['web']['weights']['bytes'] / 1e6:.1f} MB shared by {web_sizes}"
    )


if __name__ == "__main__":
    main()
