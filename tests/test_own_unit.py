"""A researcher's own unit, end to end: written into build/units/ of a temporary copy of the repository
(never into the checkout), named on Make's command line beside the published three, trained, evaluated,
exported, shown in every figure, and run live by onnxruntime-web in Chromium next to the others."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from build import profiles
from tests.browser import PageLog, replace_text, start, updates, wait_updated
from tests.test_browser import (
    AC_BODY,
    AUTOCOMPLETE,
    OWN_BODY,
    OWNTEXT,
    PASSAGE,
    Loaded,
    Reference,
    check_autocomplete,
    check_owntext,
    prepare,
)
from tests.test_make import copy_checkout, isolated_env
from tests.train_helpers import copy_runs_and_cache

# The minimal gated unit (Zhou et al., 2016), written from its paper: one forget gate f does the work of
# the GRU's update and reset gates. f = sigmoid(W_f [x, h]); candidate = tanh(W_c [x, f * h]);
# h' = (1 - f) * h + f * candidate. No NAME: the page calls it "MGU", derived from the file's name.
MGU = '''
"""Minimal gated unit (Zhou, Wu, Zhang and Zhou, 2016)."""

import torch
from torch import nn

from build.units import RecurrentUnit


class Unit(RecurrentUnit):
    def __init__(self, input_size: int, hidden_size: int, layers: int = 1) -> None:
        super().__init__(input_size, hidden_size, layers)
        widths = [input_size + hidden_size] + [2 * hidden_size] * (layers - 1)
        self.forget = nn.ModuleList(nn.Linear(w, hidden_size) for w in widths)
        self.candidate = nn.ModuleList(nn.Linear(w, hidden_size) for w in widths)

    def step(self, x, state):
        states = []
        for layer, (h,) in enumerate(self.layer_states(state)):
            f = torch.sigmoid(self.forget[layer](torch.cat([x, h], dim=-1)))
            candidate = torch.tanh(self.candidate[layer](torch.cat([x, f * h], dim=-1)))
            x = (1 - f) * h + f * candidate
            states.append((x,))
        return x, self.join_states(states)
'''
MODELS = "gru,lstm,nlstm,mgu"


@pytest.fixture(scope="module")
def own_site(tiny_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the tiny run with the MGU added on Make's command line. The run starts as a copy of the
    session's tiny run (the published three trained, evaluated and exported), so Make trains and exports
    only the MGU, then gathers the results and builds the site for all four."""
    root = copy_runs_and_cache(tiny_built, tmp_path_factory.mktemp("own-unit"))
    repository = copy_checkout(root / "repository")
    (repository / "build" / "units" / "mgu.py").write_text(MGU.lstrip())
    env = isolated_env(root)  # runs, cache and site under root; no PROFILE or MODELS from outside
    built = subprocess.run(
        ["make", "article", "PROFILE=tiny", f"MODELS={MODELS}"],
        cwd=repository,
        env=env,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert "  MGU " in built.stdout  # the summary's line for the new model
    assert not (profiles.ROOT / "build" / "units" / "mgu.py").exists()
    return root / "site"


def test_the_unit_goes_through_every_stage_into_every_figure(own_site: Path) -> None:
    manifest = json.loads((own_site / "data" / "manifest.json").read_text())
    assert [m["key"] for m in manifest["models"]] == MODELS.split(",")
    assert next(m for m in manifest["models"] if m["key"] == "mgu")["name"] == "MGU"
    for graph in ("autocomplete", "connectivity"):
        assert (own_site / "models" / "mgu" / f"{graph}.web.onnx").is_file()
    passage = json.loads((own_site / "data" / "passages" / "grammar.json").read_text())
    assert "mgu" in json.dumps(passage)
    page = (own_site / "index.html").read_text()
    assert "MGU" in page


def test_its_live_figures_run_in_chromium(own_site: Path, chromium) -> None:
    manifest = json.loads((own_site / "data" / "manifest.json").read_text())
    words = json.loads((own_site / "data" / "vocab.json").read_text())
    reference = Reference(own_site, manifest, words)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    log = PageLog("file://").attach(page)
    try:
        page.goto((own_site / "index.html").as_uri())
        page.wait_for_selector(f"{PASSAGE}[data-selected]")
        assert page.query_selector(f'{PASSAGE} .memo-panel[data-model="mgu"]') is not None
        loaded = Loaded("file", page, log, own_site)
        start(page, AUTOCOMPLETE, AC_BODY)
        keys = page.eval_on_selector_all(AUTOCOMPLETE + " .memo-model option", "os => os.map(o => o.value)")
        assert keys == MODELS.split(",")
        check_autocomplete(loaded, reference, "mgu", "the history of the gr")
        start(page, OWNTEXT, OWN_BODY)
        raw = "She said that the man went home"
        before = updates(page, OWN_BODY)
        replace_text(page, OWNTEXT, raw)
        wait_updated(page, OWN_BODY, before)
        check_owntext(loaded, reference, prepare(raw, keep_trailing_space=False))  # all four, MGU too
        loaded.assert_clean()
    finally:
        context.close()
