"""Unit files read without importing them: their settings, their errors (file and line), default names."""

from __future__ import annotations

import pytest

from build import unit_files


@pytest.fixture
def units_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(unit_files, "UNITS_DIR", tmp_path)
    return tmp_path


def test_settings_are_the_literal_assignments_at_the_top_level(units_dir) -> None:
    (units_dir / "my_cell.py").write_text(
        'import torch\nNAME = "My cell"\nLAYERS = 3\nOPTIONS = {"gain": 0.5}\n'
        "def f():\n    NAME = 'inner'\nclass Unit:\n    LAYERS = 9\n"
    )
    assert unit_files.unit_settings("my_cell") == {"NAME": "My cell", "LAYERS": 3, "OPTIONS": {"gain": 0.5}}
    (units_dir / "bare.py").write_text("class Unit: pass\n")
    assert unit_files.unit_settings("bare") == {}  # the profile's layers and a derived name apply


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("LAYERS = 0\n", r"bad\.py: LAYERS = 0 must be a positive integer"),
        ("LAYERS = 'two'\n", r"bad\.py: LAYERS = 'two' must be a positive integer"),
        ("NAME = 3\n", r"bad\.py: NAME = 3 must be a string"),
        ("OPTIONS = [1]\n", r"bad\.py: OPTIONS = \[1\] must be a dict"),
        ("x = 1\ndef (:\n", r"bad\.py:2: syntax error"),
        ("import os\nNAME = os.getcwd()\n", r"bad\.py:2: NAME must be a plain literal"),
    ],
)
def test_a_wrong_setting_names_the_file_and_what_is_wrong(units_dir, source: str, message: str) -> None:
    (units_dir / "bad.py").write_text(source)
    with pytest.raises(unit_files.UnitFileError, match=message):
        unit_files.unit_settings("bad")


def test_a_missing_unit_file_lists_the_units_there_are(units_dir) -> None:
    for name in ("gru", "lstm", "__init__"):
        (units_dir / f"{name}.py").write_text("")
    with pytest.raises(
        unit_files.UnitFileError, match=r"unknown model 'mgu': no unit file .*mgu\.py \(units: gru, lstm\)"
    ):
        unit_files.unit_settings("mgu")


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("mgu", "MGU"),
        ("rnn", "RNN"),
        ("my_cell", "My Cell"),
        ("deep_gated", "Deep Gated"),
        ("indrnn", "Indrnn"),
    ],
)
def test_a_unit_without_a_name_gets_one_from_its_key(key: str, name: str) -> None:
    assert unit_files.default_name(key) == name
