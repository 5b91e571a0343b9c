"""Memory against skill as the page uses it (build/render/skill.py): the share at the cross entropy every
model reaches, when the share and the cross entropy moved, a run without the measurement, and the
figure's snapshot."""

from __future__ import annotations

import copy
import re

import pytest

from build.render import facts, skill
from build.render.errors import RenderError
from tests.render_helpers import fixture_json


def point(step: int, ce: float, share: float, spread: float = 0.01) -> dict:
    return {
        "step": step,
        "valid_cross_entropy": ce,
        "share_before_word_0": {"mean": share, "low": share - spread, "high": share + spread},
    }


def model(key: str, *curves: list[dict]) -> dict:
    return {
        "key": key,
        "name": key.upper(),
        "seeds": [{"seed": k, "test": {}, "during_training": c} for k, c in enumerate(curves, 1)],
    }


# The GRU ends at 2.0, the highest final cross entropy: every model is compared there.
GRU = [point(100, 3.0, 0.40), point(200, 2.4, 0.44), point(300, 2.0, 0.60)]
LSTM = [point(100, 3.0, 0.30), point(200, 1.8, 0.50), point(300, 1.6, 0.55)]


def test_every_model_is_read_at_the_cross_entropy_every_model_reaches() -> None:
    measured = {"keep_every": 100, "during_observations": 50}
    names = skill.skill([model("gru", GRU), model("lstm", LSTM)], measured)
    assert names["common"] == 2.0 and names["keep_every"] == 100 and names["observations"] == 50
    rows = {row["key"]: row for row in names["rows"]}
    # the LSTM passes 2.0 five sixths of the way from step 100 to 200: 0.30 + (1/1.2) * 0.20
    assert rows["lstm"]["at_common"]["mean"] == pytest.approx(0.30 + 0.20 / 1.2)
    assert rows["lstm"]["at_common"]["low"] == pytest.approx(0.29 + 0.20 / 1.2)
    assert rows["lstm"]["at_common"]["high"] == pytest.approx(0.31 + 0.20 / 1.2)
    assert rows["gru"]["at_common"]["mean"] == pytest.approx(0.60)  # its own final model
    assert [row["key"] for row in names["rows"]] == ["gru", "lstm"]  # the largest share there first
    assert rows["gru"]["final"] == {"mean": 0.60, "low": 0.59, "high": 0.61}
    assert rows["gru"]["final_ce"] == 2.0
    assert rows["gru"]["start"] == {"step": 100, "ce": 3.0, "share": 0.40} and rows["gru"]["last_step"] == 300
    assert not rows["lstm"]["reaches_at_start"]


def test_the_half_steps_say_when_the_share_and_the_cross_entropy_moved() -> None:
    rows = {r["key"]: r for r in skill.skill([model("gru", GRU), model("lstm", LSTM)], {})["rows"]}
    # the GRU's share goes 0.40 -> 0.60: half (0.50) between steps 200 (0.44) and 300 (0.60), at 237.5
    assert rows["gru"]["share_half"] == 238
    # its cross entropy goes 3.0 -> 2.0: half (2.5) between steps 100 and 200 (2.4), at 183.3
    assert rows["gru"]["ce_half"] == 183
    # the LSTM's cross entropy 3.0 -> 1.6 passes 2.3 at 158.3; its share 0.30 -> 0.55 passes 0.425 at 162.5
    assert rows["lstm"]["ce_half"] == 158
    assert facts.half_step(LSTM, facts.share_value) == pytest.approx(162.5)
    assert facts.half_step(LSTM, facts.cross_entropy_value) == pytest.approx(158 + 1 / 3)
    falling = [point(0, 3.0, 0.6), point(10, 2.0, 0.2), point(20, 1.0, 0.2)]  # a share that falls
    assert facts.half_step(falling, facts.share_value) == pytest.approx(5.0)


def test_over_seeds_each_seed_is_read_at_its_own_common_cross_entropy() -> None:
    later = [point(100, 3.0, 0.20), point(300, 2.2, 0.30)]  # the GRU's second seed ends at 2.2
    names = skill.skill([model("gru", GRU, later), model("lstm", LSTM, LSTM)], {})
    rows = {row["key"]: row for row in names["rows"]}
    assert names["common"] == 2.0  # the page's seed
    # seed 2 compares at 2.2, where the LSTM's curve has 0.30 + (0.8/1.2) * 0.20
    second = 0.30 + 0.20 * 0.8 / 1.2
    assert rows["lstm"]["across"]["min"] == pytest.approx(second)
    assert rows["lstm"]["across"]["max"] == pytest.approx(0.30 + 0.20 / 1.2)
    assert rows["gru"]["across"]["mean"] == pytest.approx((0.60 + 0.30) / 2)


def test_a_run_without_the_measurement_stops_the_render_naming_its_models() -> None:
    listed = copy.deepcopy(fixture_json()[0]["models"])
    del listed[1]["seeds"][0]["during_training"]
    listed[2]["seeds"] = []
    stops = r"no during_training for lstm, nlstm \(build/during.py writes it\)"
    with pytest.raises(RenderError, match=stops):
        skill.skill(listed, {})


def test_the_fixture_run_reads_at_the_grus_final_cross_entropy() -> None:
    """The fixture's curves end at each model's final validation loss and share at 0 letters."""
    results = fixture_json()[0]
    names = skill.skill(results["models"], results["evaluation"])
    assert names["common"] == max(m["final_valid_loss"] for m in results["models"])
    for m, row in zip(results["models"], sorted(names["rows"], key=lambda r: r["key"]), strict=True):
        assert row["final"]["mean"] == m["test"]["context"]["share_before_word"]["0"]["mean"]
    assert [row["key"] for row in names["rows"]] == ["gru", "lstm", "nlstm"]


def test_the_snapshot_draws_a_line_per_model_and_seed_and_the_common_mark(tiny_site) -> None:
    svg = next((tiny_site / "snapshots").glob("*skill*.svg")).read_text()
    assert svg.count("<polyline") == 3 + 1  # each model's one seed, and the common cross entropy's mark
    assert svg.count("<circle") == 3 and svg.count("<polygon") == 3  # each line's end, each band
    assert 'stroke-dasharray="4 3"' in svg and "validation cross entropy" in svg
    assert "the cross entropy every model reaches" in svg


def test_the_snapshot_draws_other_seeds_thin(tmp_path, monkeypatch) -> None:
    from build.render import snapshots

    results = copy.deepcopy(fixture_json()[0])
    for m in results["models"]:
        first = m["seeds"][0]
        m["seeds"].append({**first, "seed": 2})
    manifest = fixture_json()[1]

    class Inputs(snapshots.Inputs):
        def data(self, url: str) -> dict:
            return results

    drawn = skill.skill_snapshot(figure(), Inputs(tmp_path, manifest, []))
    widths = re.findall(r'<polyline [^>]*stroke-width="(\d)"', drawn)
    assert sorted(widths) == ["1"] * 3 + ["2"] * 4  # three thin seeds; three bold and the mark
    assert drawn.count("<circle") == 6 and drawn.count("<polygon") == 3  # a band for the page's seed only


def figure():
    from build.render.figures import parse_figure

    return parse_figure("skill", "Memory against skill.", "index.md:1")
