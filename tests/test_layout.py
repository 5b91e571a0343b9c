"""The project's shape: which `build` package imports, the stages' order (read from the Makefile and the
stages' docstrings), and what the README promises."""

from __future__ import annotations

import ast
import functools
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

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


# What each stage may import of the others: only the stages that own the data it reads (build.run_files
# owns where every file is and how it is read). A stage not named here may import no other stage.
READS_FROM = {
    "build.dataset": {"build.corpus"},
    "build.train": {"build.dataset"},
    "build.evaluate": {"build.dataset"},
    "build.lookback": {"build.dataset"},
    "build.truncated": {"build.dataset"},
    "exporter.export": {"build.dataset"},
    "build.precompute": {"build.dataset"},
    # the results quote evaluate's ORIGINAL_BATCH and gather lookback's share by letters read
    "build.results": {"build.evaluate", "build.lookback"},
    # the measurements during training are evaluate's and lookback's, made on the kept weights
    "build.during": {"build.dataset", "build.evaluate", "build.lookback"},
}
# A stage module's docstring starts with its place in the pipeline: "Stage 2, the dataset: ...".
DECLARED = re.compile(r"Stage (\d+), ")
# A command of a Makefile rule that runs a stage of this project.
RUNS_MODULE = re.compile(r"\$\(PY\) -m ((?:build|exporter)(?:\.\w+)+)")


@dataclass(frozen=True)
class Rule:
    """One rule of Make's database: its target, its prerequisites and the modules its recipe runs."""

    target: str
    prerequisites: tuple[str, ...]
    modules: frozenset[str]
    phony: bool

    def makes(self, name: str) -> bool:
        """Whether this rule makes `name`, a file or (for a pattern rule's prerequisite) a pattern."""
        return re.fullmatch(re.escape(self.target).replace("%", "[^/]+"), name) is not None


@functools.cache
def make_database() -> str:
    """The Makefile as Make reads it (`make -p`) for the default profile: variables expanded, every rule
    with its prerequisites. The goal `help` makes Make write nothing, and -q runs no recipe."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k != "MFLAGS"}
    for name in ("PROFILE", "CORPUS", "MODEL", "MODELS", "STEPS", "UNITS", "LR", "SEED"):
        env.pop(name, None)
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("RUNS", "CACHE", "SITE"):
            env[f"MEMORIZATION_{name}"] = str(Path(scratch) / name.lower())
        shown = subprocess.run(
            ["make", "-p", "-q", "-r", f"PYTHON={sys.executable}", "help"],
            cwd=profiles.ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
    assert "\n# Files\n" in shown.stdout, shown.stderr
    return shown.stdout


def make_rules(database: str) -> list[Rule]:
    """The rules of a printed Make database, order-only prerequisites left out: they order jobs (models
    trained side by side, then one stage at a time), they pass no data."""
    rules = []
    rules_start = re.search(r"^# Implicit Rules$", database, re.M)
    assert rules_start, "no rules in Make's database"
    for block in database[rules_start.start() :].split("\n\n"):
        lines = block.strip("\n").splitlines()
        head = re.match(r"([^#\s][^:]*):(?![:=])(.*)$", lines[0]) if lines else None
        if head is None:
            continue  # a section's title, a comment, or a file that is no target
        recipe = "\n".join(line for line in lines[1:] if line.startswith("\t"))
        phony = any(line.startswith("#  Phony target") for line in lines)
        prerequisites = tuple(head[2].partition("|")[0].split())
        modules = frozenset(RUNS_MODULE.findall(recipe))
        rules.extend(Rule(target, prerequisites, modules, phony) for target in head[1].split())
    return rules


def make_order(database: str) -> dict[str, set[str]]:
    """Each module that Make runs to make a file (phony goals such as serve are no stage) -> the modules
    of those whose rules need its files, directly or through other files."""
    rules = make_rules(database)
    later: dict[str, set[str]] = {m: set() for rule in rules if not rule.phony for m in rule.modules}
    for rule in rules:
        if rule.phony or not rule.modules:
            continue
        seen: set[str] = set()
        waiting = list(rule.prerequisites)
        while waiting:
            name = waiting.pop()
            for other in (r for r in rules if not r.phony and r.target not in seen and r.makes(name)):
                seen.add(other.target)
                waiting.extend(other.prerequisites)
                for module in other.modules - rule.modules:
                    later[module].update(rule.modules)
    return later


def declared_stages() -> dict[str, int]:
    """Each module of build/ and exporter/ whose docstring declares it a stage -> its number."""
    declared = {}
    for package in ("build", "exporter"):
        for path in sorted((profiles.ROOT / package).rglob("*.py")):
            parts = path.relative_to(profiles.ROOT).with_suffix("").parts
            found = DECLARED.match(ast.get_docstring(ast.parse(path.read_text())) or "")
            if found:
                declared[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = int(found[1])
    return declared


def stage_order(made: dict[str, set[str]], declared: dict[str, int]) -> dict[str, set[str]]:
    """Every stage -> the stages after it: after in Make's rules or by a higher declared number, and
    after anything after those. A stage after itself means the two sources disagree."""
    later = {stage: set(after) for stage, after in made.items()}
    for stage, number in declared.items():
        later.setdefault(stage, set()).update(s for s, n in declared.items() if n > number)
    changed = True
    while changed:  # the transitive closure
        changed = False
        for after in later.values():
            grown = set().union(after, *(later[s] for s in after))
            changed |= grown != after
            after |= grown
    return later


def imports_of_stages(stages: Iterable[str]) -> dict[str, set[str]]:
    """Each stage -> what it imports, a package stage (build.render) counting every module inside it,
    and a module inside a stage counting as that stage."""
    graph = imports_of_modules()

    def stage_of(module: str) -> str:
        return next((s for s in stages if module == s or module.startswith(s + ".")), module)

    merged: dict[str, set[str]] = {}
    for module, found in graph.items():
        merged.setdefault(stage_of(module), set()).update(stage_of(m) for m in found)
    return {stage: found - {stage} for stage, found in merged.items()}


def later_imports(imports: dict[str, set[str]], later: dict[str, set[str]]) -> list[str]:
    """Each import of a later stage by an earlier one, as "earlier imports later"."""
    return [f"{s} imports {m}" for s, after in sorted(later.items()) for m in sorted(imports[s] & after)]


def pipeline() -> dict[str, set[str]]:
    """This project's stages, each with the stages after it, from the Makefile and the docstrings."""
    return stage_order(make_order(make_database()), declared_stages())


def test_make_and_the_stages_docstrings_agree_on_the_order() -> None:
    """Make's rules and the "Stage N" docstrings order the same stages the same way, and Make runs
    every declared stage or lists its source among the prerequisites of one it runs (as the dataset's
    rule lists build/corpus.py)."""
    made, declared = make_order(make_database()), declared_stages()
    assert {"build.dataset", "build.train", "build.render"} <= made.keys() and len(declared) > 2
    later = stage_order(made, declared)
    assert not [s for s, after in later.items() if s in after], later
    stage_rules = [rule for rule in make_rules(make_database()) if rule.modules & made.keys()]
    listed = {name for rule in stage_rules for name in rule.prerequisites}
    for stage in declared.keys() - made.keys():
        assert stage.replace(".", "/") + ".py" in listed, f"{stage}: declared a stage, unknown to Make"


def test_no_stage_imports_a_later_stage() -> None:
    later = pipeline()
    found = later_imports(imports_of_stages(later), later)
    assert not found, found


def test_a_stage_importing_a_later_one_is_found() -> None:
    """The rules above on a made-up Makefile: b reads a's file, c reads b's (through a pattern rule),
    an order-only prerequisite and a phony goal order nothing, and an import of c by a is caught."""
    database = textwrap.dedent(
        """\
        # Implicit Rules

        out/%/b.json: out/a.json build/b.py
        #  recipe to execute (from 'Makefile', line 4):
        \t$(PY) -m build.b $(STAGE)

        # Files

        # Not a target:
        build/b.py:

        out/a.json: build/a.py | out/c.json
        #  recipe to execute (from 'Makefile', line 1):
        \t$(PY) -m build.a $(STAGE)

        out/c.json: out/x/b.json
        #  recipe to execute (from 'Makefile', line 7):
        \t$(PY) -m build.c

        serve: out/c.json
        #  Phony target (prerequisite of .PHONY).
        \t$(PY) -m build.serve
        """
    )
    made = make_order(database)
    assert made == {"build.a": {"build.b", "build.c"}, "build.b": {"build.c"}, "build.c": set()}
    later = stage_order(made, {"build.a": 1})
    imports = {"build.a": {"build.c"}, "build.b": {"build.a"}, "build.c": {"build.a", "build.b"}}
    assert later_imports(imports, later) == ["build.a imports build.c"]
    # a docstring that puts c first contradicts Make: c ends up after itself
    assert "build.c" in stage_order(made, {"build.c": 1, "build.a": 2})["build.c"]


def test_stages_import_run_files_never_each_other_to_find_a_file() -> None:
    stages = pipeline()
    graph = imports_of_stages(stages)
    for stage in stages:
        others = {m for m in graph[stage] if m in stages}
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
