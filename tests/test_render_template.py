"""Jinja2 over the article: filters, and errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from build.render.errors import RenderError
from build.render.template import environment, expand
from tests.render_helpers import article


def test_numbers_come_from_the_names_through_filters(tmp_path: Path) -> None:
    body = article(
        tmp_path,
        "Title: T\n\nAccuracy {{ models.gru.test.accuracy | percent(2) }} on "
        "{{ dataset.words | thousands }} words & *more*.\n",
    ).body
    assert "Accuracy 49.02% on 1,046,939 words &amp; <em>more</em>." in body


def test_an_unknown_name_fails_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"index\.md:4: UndefinedError.*accuracy"):
        article(tmp_path, "Title: T\n\nline three\n{{ models.gru.accuracy }}\n")
    with pytest.raises(RenderError, match=r"index\.md:3: "):
        article(tmp_path, "Title: T\n\n{{ unclosed \n")


def test_the_line_of_an_error_after_figures_is_the_files_line(tmp_path: Path) -> None:
    """Each figure block becomes a placeholder paragraph one line longer: the lines still count right."""
    text = "Title: T\n\n```figure units\ncap\n```\n```figure curves\n```\nline eight\n{{ nothing.here }}\n"
    with pytest.raises(RenderError, match=r"index\.md:9: UndefinedError"):
        article(tmp_path, text)
    with pytest.raises(RenderError, match=r"index\.md:5: UndefinedError"):
        article(tmp_path, "Title: T\n\n```figure units\nfirst\n{{ nothing.here }}\n```\n")


def test_expand_maps_lines_through_line_of() -> None:
    with pytest.raises(RenderError, match=r"^a\.md:12: UndefinedError"):
        expand("ok\n{{ missing }}\n", {}, Path("a.md"), lambda line: line + 10)
    assert expand("{{ 0.25 | percent }}", {}, Path("a.md")) == "25.0%"


def test_filters() -> None:
    filters = environment(jinja2.BaseLoader(), autoescape=False).filters
    assert filters["duration"](186.4) == "3 min 6 s" and filters["duration"](22500) == "6 h 15 min"
    assert filters["bytes"](1500368) == "1.5 MB" and filters["fixed"](2.55927, 3) == "2.559"
    assert filters["percent"](0.4902) == "49.0%" and filters["thousands"](1046939) == "1,046,939"
    assert filters["upper_first"]("the Brown corpus") == "The Brown corpus"  # the rest as it is
    assert filters["upper_first"]("text8") == "Text8" and filters["upper_first"]("") == ""


def test_the_filters_that_write_about_any_number_of_models() -> None:
    env = environment(jinja2.BaseLoader(), autoescape=False)
    filters = env.filters
    assert [filters["spelled"](n) for n in (0, 3, 10, 11, 1200)] == ["zero", "three", "ten", "11", "1,200"]
    assert [filters["and_join"](words) for words in ([], ["A"], ["A", "B"], ["A", "B", "C"])] == [
        "",
        "A",
        "A and B",
        "A, B and C",
    ]
    assert filters["and_join"](["A", "B", "C"], ", the ", " and the ") == "A, the B and the C"
    models = [
        {"name": "GRU", "test": {"share": {"0": 0.825}}, "layers": [1, 2]},
        {"name": "Nested LSTM", "test": {"share": {"0": 0.459}}, "layers": [3]},
    ]
    phrases = filters["each"](env, models, "{test.share.0|percent(1)} for the {name} ({layers.0})")
    assert phrases == ["82.5% for the GRU (1)", "45.9% for the Nested LSTM (3)"]
    assert filters["and_join"](phrases) == "82.5% for the GRU (1) and 45.9% for the Nested LSTM (3)"
    with pytest.raises(KeyError, match="no 'test.missing'"):
        filters["each"](env, models, "{test.missing} for the {name}")


def test_each_reads_fields_through_the_article_and_names_a_missing_one(tmp_path: Path) -> None:
    names = {"models": [{"name": "GRU", "acc": 0.5}, {"name": "LSTM", "acc": 0.25}]}
    text = "Title: T\n\n{{ models | each('{acc|percent(0)} for the {name}') | and_join }}.\n"
    assert "50% for the GRU and 25% for the LSTM." in article(tmp_path, text, names).body
    with pytest.raises(RenderError, match=r"index\.md:3: KeyError: .*no 'accuracy'"):
        article(tmp_path, "Title: T\n\n{{ models | each('{accuracy} of {name}') | and_join }}\n", names)


def test_device_words_turn_the_recorded_device_into_words() -> None:
    from build.render.template import device_words

    assert device_words("cpu (1 thread)") == "one CPU thread"
    assert device_words("cpu (16 threads)") == "16 CPU threads"
    assert device_words("cuda (NVIDIA H200)") == "an NVIDIA H200 GPU"
    assert device_words("cuda (Tesla T4)") == "a Tesla T4 GPU"
    assert device_words("something else") == "something else"
