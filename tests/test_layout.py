"""The project's shape: which `build` package imports, and what the README promises."""

from __future__ import annotations

import ast
import re

import build
from build import profiles


def test_build_is_this_projects_package_not_pypas_tool() -> None:
    assert getattr(build, "MEMORIZATION_BUILD", False)
    assert build.__file__.startswith(str(profiles.ROOT / "build"))


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (profiles.ROOT / "README.md").read_text()
    assert re.search(r"^\s*make article\s*$", readme, re.M)
    assert re.search(r"^\s*make test\s*$", readme, re.M)
    ci = (profiles.ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, re.M)


def test_every_profile_model_names_an_existing_unit() -> None:
    for profile in profiles.PROFILES.values():
        for config in profile.models:
            assert (profiles.ROOT / "build" / "units" / f"{config.unit}.py").exists()
        assert len({m.key for m in profile.models}) == len(profile.models)


def imports_of_modules() -> dict[str, set[str]]:
    """Every module of build/ and exporter/ -> the modules of build/ and exporter/ it imports anywhere
    (top level or inside a function), read from the source."""
    graph: dict[str, set[str]] = {}
    for package in ("build", "exporter"):
        for path in sorted((profiles.ROOT / package).rglob("*.py")):
            parts = path.relative_to(profiles.ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found: set[str] = set()
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found.add(node.module)
                    found.update(f"{node.module}.{alias.name}" for alias in node.names)
            graph[name] = found
    return {name: {m for m in found if m in graph and m != name} for name, found in graph.items()}


def test_no_import_cycles_in_build_or_exporter() -> None:
    graph = imports_of_modules()
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for other in sorted(graph[name]):
            assert state.get(other) != "open", " -> ".join([*trail, name, other])
            if other not in state:
                visit(other, [*trail, name])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


# The stages in data order, and what each may import of the others: only the stage that owns the data
# it reads (build.run_files owns where every file is and how it is read).
STAGES = (
    "build.corpus",
    "build.dataset",
    "build.train",
    "build.evaluate",
    "exporter.export",
    "build.precompute",
    "build.render",
)
READS_FROM = {
    "build.dataset": {"build.corpus"},
    **{
        stage: {"build.dataset"}
        for stage in ("build.train", "build.evaluate", "exporter.export", "build.precompute")
    },
}


def imports_of_stages() -> dict[str, set[str]]:
    """Each stage -> what it imports, a package stage (build.render) counting every module inside it,
    and a module inside a stage counting as that stage."""
    graph = imports_of_modules()

    def stage_of(module: str) -> str:
        return next((s for s in STAGES if module == s or module.startswith(s + ".")), module)

    merged: dict[str, set[str]] = {}
    for module, found in graph.items():
        merged.setdefault(stage_of(module), set()).update(stage_of(m) for m in found)
    return {stage: found - {stage} for stage, found in merged.items()}


def test_stages_import_run_files_never_each_other_to_find_a_file() -> None:
    graph = imports_of_stages()
    for stage in STAGES:
        others = {m for m in graph[stage] if m in STAGES}
        assert others <= READS_FROM.get(stage, set()), f"{stage} imports {sorted(others)}"
        assert stage == "build.corpus" or "build.run_files" in graph[stage], stage


MAX_LINES = 400  # a module longer than this does more than one job (the Triton kernels aside)


def test_no_module_of_build_or_exporter_is_over_400_lines() -> None:
    long = {}
    for folder in ("build", "exporter"):
        for path in sorted((profiles.ROOT / folder).rglob("*.py")):
            if "kernels" in path.relative_to(profiles.ROOT).parts:
                continue
            lines = len(path.read_text().splitlines())
            if lines > MAX_LINES:
                long[path.relative_to(profiles.ROOT).as_posix()] = lines
    assert not long, f"over {MAX_LINES} lines: {long}"
