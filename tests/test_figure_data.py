"""The other figures' data: the published reference compacted faithfully, curves thinned, gradients."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from build import figure_data, passages, profiles
from build.run_files import decode_lower_triangle


def test_thin_keeps_first_and_last_and_bounds_the_count() -> None:
    assert figure_data.thin(5, 10) == [0, 1, 2, 3, 4]
    kept = figure_data.thin(14278, 400)
    assert kept[0] == 0 and kept[-1] == 14277 and len(kept) == 400 and kept == sorted(set(kept))


def test_published_is_the_original_data_compacted() -> None:
    published = figure_data.published()
    assert published["passage"]["text"] == passages.P1  # the original's P1, character for character
    raw = json.loads((figure_data.REFERENCE_DIR / "connectivity_lstm.json").read_text())
    lstm = published["passage"]["models"]["lstm"]
    rows = decode_lower_triangle(lstm["connectivity"])
    expected = np.array(raw[28]["connectivity"][:29])
    np.testing.assert_allclose(rows[28, :29], expected, rtol=1e-4, atol=expected.max() * 2e-5)
    assert lstm["targets"][28] == "grammar" and lstm["top_words"][28] == raw[28]["predict"]
    assert published["accuracy"]["gru"]["top1"][0] == pytest.approx(0.16498248)
    assert published["accuracy"]["nlstm"]["top3"][0] == pytest.approx(0.224, abs=1e-3)  # spec section 3
    gru_train = published["curves"]["gru"]["train"]
    assert gru_train["step"][0] == 1 and len(gru_train["step"]) <= figure_data.MAX_POINTS
    assert published["results"]["gru"]["accuracy"] == 0.5201
    # the recipe the published numbers came from, which the article checks a run against
    recipe = published["recipe"]
    paper = profiles.load("paper")
    assert recipe["corpus"] == paper.corpus and recipe["steps"] == paper.steps == 14_278
    assert recipe["vocabulary"] == 2**paper.vocab_bits and recipe["init"] == paper.init
    assert recipe["layers"] == {m.key: m.layers for m in paper.models}
    assert {recipe["units"], recipe["embedding"]} == {m.units for m in paper.models} | {paper.embedding}


def test_curves_read_the_loss_csv_with_missing_validation(tmp_path: Path) -> None:
    (tmp_path / "gru").mkdir()
    (tmp_path / "gru" / "losses.csv").write_text(
        "step,seconds,train_loss,valid_loss\n1,0.5,8.3,8.1\n2,0.9,8.0,\n3,1.4,7.5,7.6\n"
    )
    config = type("Config", (), {"key": "gru", "name": "GRU"})()
    curves = figure_data.training_curves(tmp_path, (config,))["models"]["gru"]
    assert curves["step"] == [1, 2, 3] and curves["valid_loss"] == [8.1, None, 7.6]
    (tmp_path / "gru" / "losses.csv").write_text("step,seconds,train_loss,valid_loss\n")
    with pytest.raises(ValueError, match=r"losses\.csv: no rows"):
        figure_data.training_curves(tmp_path, (config,))


def test_vanishing_gradient_fades_faster_with_a_smaller_recurrent_matrix() -> None:
    data = figure_data.vanishing_gradient(length=12, units=16, scales=(0.5, 1.5))
    small, large = (np.array(case["values"]) for case in data["cases"])
    assert small[-1] == pytest.approx(1.0) and large.max() == pytest.approx(1.0)
    assert small[0] < large[0] and small[0] < 1e-3  # twelve steps back, little is left at radius 0.5
    assert figure_data.vanishing_gradient(length=12, units=16, scales=(0.5, 1.5)) == data  # deterministic


def test_curves_keep_every_logged_validation_value(tmp_path: Path) -> None:
    """1,000 steps with a validation loss after the first step and every 100: the thinning to 400 rows
    keeps all eleven, where keeping only the rows on its grid dropped steps 100 to 600."""
    (tmp_path / "gru").mkdir()
    rows = ["step,seconds,train_loss,valid_loss"]
    for step in range(1, 1001):
        valid = f"{8 - step / 200:.3f}" if step == 1 or step % 100 == 0 else ""
        rows.append(f"{step},{step * 0.3:.1f},{8 - step / 210:.3f},{valid}")
    (tmp_path / "gru" / "losses.csv").write_text("\n".join(rows) + "\n")
    config = type("Config", (), {"key": "gru", "name": "GRU"})()
    curves = figure_data.training_curves(tmp_path, (config,))["models"]["gru"]
    validated = [step for step, v in zip(curves["step"], curves["valid_loss"], strict=True) if v is not None]
    assert validated == [1, *range(100, 1001, 100)]
    assert len(curves["step"]) <= figure_data.MAX_POINTS + 11 and curves["step"][-1] == 1000
    assert curves["step"] == sorted(curves["step"])  # one x order for both lines
