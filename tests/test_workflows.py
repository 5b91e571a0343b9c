"""The GitHub workflows cannot run here, so they are linted (jactionlint, a maintained actionlint) and
what they promise is checked: tests on pull requests and pushes, a supported Node, pip and npm caches,
CPU torch, and the browser tests on the runner's Chrome."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from build import profiles

WORKFLOWS = profiles.ROOT / ".github" / "workflows"
LINTER = Path(sys.executable).parent / "jactionlint"
# Its default profile, less one rule: GitHub's own actions are used by major version tag, as GitHub
# documents, not by commit SHA (which no machine of this project can look up). shellcheck and pyflakes
# are off on purpose: the workflows' only scripts are `make` lines.
LINT = ["--ignore", "unpinned-uses", "--shellcheck=", "--pyflakes=", "--no-color"]
# The first major versions that run on Node 24 (Node 20 actions are deprecated on GitHub's runners).
NODE24 = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/setup-node": 5,
    "actions/cache": 5,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}


def load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as true
    return workflow


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_the_workflows_lint_clean() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert [f.name for f in files] == ["deploy.yml", "test.yml"]
    done = subprocess.run([str(LINTER), *LINT, *map(str, files)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_a_lint_error_is_caught(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v1\n      - run: echo ${{ matrix.nothing }}\n"
    )
    done = subprocess.run([str(LINTER), *LINT, str(bad)], capture_output=True, text=True)
    assert done.returncode != 0 and "bad.yml:6" in done.stdout and "bad.yml:7" in done.stdout


def test_tests_run_on_pull_requests_and_pushes() -> None:
    workflow = load("test.yml")
    assert {"pull_request", "push"} <= set(workflow["on"])
    assert any(re.search(r"^make test\b", step.get("run", ""), re.M) for step in steps(workflow))


def test_both_workflows_use_supported_node_caches_cpu_torch_and_the_runners_chrome() -> None:
    for name in ("test.yml", "deploy.yml"):
        workflow = load(name)
        used = {step["uses"].split("@")[0]: step for step in steps(workflow) if "uses" in step}
        node = used["actions/setup-node"]["with"]
        assert str(node["node-version"]) in ("22", "24") and node["cache"] == "npm", name
        assert used["actions/setup-python"]["with"]["cache"] == "pip", name
        for action, step in used.items():
            assert action in NODE24 and int(step["uses"].split("@v")[1]) >= NODE24[action], step["uses"]
        env = workflow.get("env", {})
        assert env["PIP_EXTRA_INDEX_URL"] == "https://download.pytorch.org/whl/cpu", name
    env = load("test.yml")["env"]
    assert env["MEMORIZATION_CHROMIUM"] == "/usr/bin/google-chrome"  # on GitHub's Ubuntu images, no apt
