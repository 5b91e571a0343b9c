"""The context taken away as the page uses it (build/render/truncated.py): the names the prose quotes,
distances said in characters and words, a run without the measurement, and the figure's snapshot."""

from __future__ import annotations

import copy

import pytest

from build.render import truncated
from build.render.errors import RenderError
from tests.render_helpers import fixture_json

STATS = {"characters": 5600, "words": 1000}  # 5.6 characters a word, its space included


def models() -> list[dict]:
    return copy.deepcopy(fixture_json()[0]["models"])


def test_the_names_read_each_model_in_its_order() -> None:
    listed = models()
    names = truncated.truncated(listed, STATS)
    assert [row["key"] for row in names["rows"]] == [m["key"] for m in listed]
    first, cut = names["rows"][0], listed[0]["test"]["truncated"]
    assert first["rise0"] == {part: cut["rise"][part][0] for part in ("mean", "low", "high")}
    assert (
        first["top1_whole"] == cut["top1_at_0"]["mean"][-1]
        and first["top1_word"] == cut["top1_at_0"]["mean"][0]
    )
    assert first["reach90"] == cut["connectivity_90"]
    assert names["per_word"] == pytest.approx(5.6)
    assert names["distances"] == [0, 2, 4, 8, 16, 32, 64, 128]
    assert names["observations"] == cut["observations"] and names["few"]  # the tiny run's 16


def test_distances_are_said_in_characters_and_words() -> None:
    assert truncated.distance_said(8, 5.6, 128) == "8 characters (1.4 words)"
    assert truncated.distance_said(1, 5.6, 128) == "1 character (0.2 words)"
    assert truncated.distance_said(None, 5.6, 128) == "more than 128 characters"
    assert truncated.interval_said({"mean": 8, "low": 8, "high": 8}) == "8 characters"
    assert truncated.interval_said({"mean": 8, "low": 4, "high": 16}) == "4 to 16 characters"
    assert (
        truncated.interval_said({"mean": 8, "low": 4, "high": None})
        == "4 characters to the whole observation"
    )


def test_a_run_without_the_measurement_stops_the_render_naming_its_models() -> None:
    listed = models()
    del listed[1]["test"]["truncated"]
    with pytest.raises(RenderError, match=r"no test.truncated for lstm \(build/truncated.py"):
        truncated.truncated(listed, STATS)


def test_the_snapshot_draws_a_line_and_a_mark_per_model(tiny_site) -> None:
    svg = next((tiny_site / "snapshots").glob("*truncated*.svg")).read_text()
    assert svg.count("<polyline") == 2 * 3  # each model's rise and its effective context
    assert "characters kept before the current word" in svg and ">all<" in svg
    assert "effective context" in svg
