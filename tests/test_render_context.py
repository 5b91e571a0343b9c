"""The article's names: the shares of connectivity before the current word, passage targets, and the
run's setting against the original's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from build import figure_data, profiles
from build.render import context, findings, setting
from build.render.errors import RenderError
from tests.render_helpers import context_data, fixture_json, passage_data


def test_share_before_word_counts_what_precedes_the_current_word() -> None:
    text = " ab cd"
    row = np.array([1.0, 1.0, 1.0, 2.0, 5.0, 0.0])
    assert context.share_before_word(text, row, 4) == pytest.approx(3 / 10)  # the word " cd" starts at 3
    assert context.share_before_word(text, row, 3) == pytest.approx(3 / 5)
    assert context.share_before_word(text, np.zeros(6), 4) == 0.0


@pytest.fixture
def names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The names for the fixture run, whose passage `grammar` shows the LSTM only (models=lstm)."""
    results, manifest, vocab = fixture_json()
    monkeypatch.setattr(profiles, "RUNS_DIR", tmp_path / "runs")
    profile = profiles.load("tiny")
    profile.run_dir.mkdir(parents=True)
    (profile.run_dir / "results.json").write_text(json.dumps(results))
    published = figure_data.published()
    data = tmp_path / "site" / "data"
    (data / "passages").mkdir(parents=True)
    (data / "published.json").write_text(json.dumps(published))
    (data / "vocab.json").write_text(json.dumps(vocab))
    passage = passage_data(published["passage"]["text"], ["lstm"], vocab, {"lstm": 0.25})
    (data / "passages" / "grammar.json").write_text(json.dumps(passage))
    assert manifest["models"][0]["key"] == "gru"
    return context.context(profile, tmp_path / "site", manifest)


def test_passage_target_reads_a_passage_that_shows_other_models_than_the_first(names: dict) -> None:
    assert names["passage_target"]("grammar", 1) is None  # "context" is not among the tiny run's words
    assert names["passage_target"]("grammar", 8) == "the"  # the space before "the" belongs to it
    assert names["passage_target"]("grammar", 28) is None  # "grammar" is not among the tiny run's words


def test_shares_are_ours_per_model_and_the_originals(names: dict) -> None:
    assert names["share_before_word"]("grammar", "lstm", 28) == pytest.approx(0.25, abs=1e-4)
    with pytest.raises(RenderError, match="passage 'grammar' has no model 'gru'"):
        names["share_before_word"]("grammar", "gru", 28)
    with pytest.raises(RenderError, match="no passage 'other'"):
        names["passage_target"]("other", 1)
    assert 0 < names["published_share_before_word"]("gru", 28) <= 1


def test_the_models_join_results_and_manifest_in_the_runs_order(names: dict) -> None:
    assert [m["key"] for m in names["model_list"]] == ["gru", "lstm", "nlstm"]
    assert names["models"]["lstm"]["graphs"]["autocomplete"]["bytes"] > 0  # from the manifest
    assert names["models"]["lstm"]["test"]["accuracy"] > 0  # from results.json
    assert names["differences"] == ["corpus", "sizes", "training", "init"] and not names["comparable"]


def test_a_model_the_original_did_not_have_is_sized_by_its_units() -> None:
    results, _, _ = fixture_json()
    recipe = figure_data.published()["recipe"]
    paper = {**recipe, "units": 16, "embedding": results["training"]["embedding"]}
    paper["vocabulary"] = results["training"]["vocab_size"] - 2
    paper["layers"] = {m["key"]: m["layers"] for m in results["models"]}
    assert context.comparison(results, paper)["same"]["sizes"]
    results["models"].append({**results["models"][0], "key": "rnn", "layers": 5})
    assert context.comparison(results, paper)["same"]["sizes"]  # no layers of the original's to differ from
    results["models"][-1]["units"] = 32
    assert not context.comparison(results, paper)["same"]["sizes"]


def test_the_training_recipe_in_words_names_the_schedule_and_the_clipping() -> None:
    constant = {"steps": 14_278, "batch_size": 64, "learning_rate": 1e-3}  # a run from before schedules
    assert context.training_recipe(constant) == {
        "rate": "a learning rate of 0.001",
        "clipping": "",
        "recipe": "14,278 training steps of 64 at a learning rate of 0.001",
    }
    cosine = {**constant, "steps": 1200, "batch_size": 16, "learning_rate": 0.015, "lr_schedule": "cosine"}
    words = context.training_recipe({**cosine, "min_learning_rate": 0.001})
    assert words["recipe"] == (
        "1,200 training steps of 16 at a learning rate starting at 0.015, decayed along a cosine to 0.001"
    )
    words = context.training_recipe(
        {**cosine, "warmup_steps": 25, "min_learning_rate": 0.0, "clip_norm": 1.0}
    )
    assert (
        words["rate"]
        == "a learning rate warmed up linearly over 25 steps to 0.015, then decayed along a cosine to 0"
    )
    assert words["recipe"].endswith(", with the gradient's norm clipped at 1")


def test_a_schedule_or_clipping_differs_from_the_originals_training() -> None:
    published = figure_data.published()
    results, _, _ = fixture_json()
    recipe = published["recipe"]
    results["training"].update(
        {
            "steps": recipe["steps"],
            "batch_size": recipe["batch_size"],
            "learning_rate": recipe["learning_rate"],
        }
    )
    assert context.comparison(results, recipe)["same"]["training"]
    for change in ({"lr_schedule": "cosine"}, {"clip_norm": 1.0}):
        changed = {**results, "training": {**results["training"], **change}}
        assert not context.comparison(changed, recipe)["same"]["training"], change


def lookback_models(**at_space: tuple[float, float, float]) -> list[dict]:
    return [{"key": k, "name": k.upper(), "test": {"context": context_data(v)}} for k, v in at_space.items()]


def test_lookback_rows_run_from_the_largest_share_at_the_space_to_the_smallest() -> None:
    found = context.lookback(lookback_models(a=(0.5, 0.45, 0.55), b=(0.7, 0.6, 0.8), c=(0.75, 0.7, 0.8)))
    assert [row["key"] for row in found["rows"]] == ["c", "b", "a"]
    assert found["rows"][0]["name"] == "C" and found["rows"][0]["at_space"]["mean"] == 0.75
    # context_data's curve is 0.3 * (2/3)^d: under 1% from d = 9 on
    assert [row["reach"] for row in found["rows"]] == ["9 characters back"] * 3
    assert found["observations"] == 200 and found["resamples"] == 1000


def test_lookback_says_when_a_curve_stays_above_one_percent() -> None:
    models = lookback_models(a=(0.5, 0.45, 0.55))
    curve = models[0]["test"]["context"]["by_distance"]["0"]
    curve[:] = [0.5] * len(curve)
    max_distance = models[0]["test"]["context"]["max_distance"]
    assert context.lookback(models)["rows"][0]["reach"] == f"nowhere within {max_distance} characters"


def test_training_runs_say_how_many_runs_the_numbers_rest_on() -> None:
    one = {"models": [{"seeds": [{"seed": 1}]}], "training": {"train_seed": 1}}
    assert context.training_runs(one) == {
        "count": 1,
        "seeds": [1],
        "first": 1,
        "whose": "this build's one training run",
    }
    before_seeds = {"models": [{}], "training": {"train_seed": 7}}  # results gathered before seeds
    assert context.training_runs(before_seeds)["seeds"] == [7]
    three = {"models": [{"seeds": [{"seed": s} for s in (4, 5, 6)]}], "training": {"train_seed": 4}}
    assert context.training_runs(three)["whose"] == "the first training run (seed 4)"
    assert context.training_runs(three)["count"] == 3


def test_lookback_rows_carry_the_share_over_the_seeds() -> None:
    models = lookback_models(a=(0.5, 0.45, 0.55))
    assert context.lookback(models)["rows"][0]["across"] is None  # a run gathered before seeds
    models[0]["across_seeds"] = {"share_before_word_0": {"mean": 0.52, "min": 0.5, "max": 0.54}}
    assert context.lookback(models)["rows"][0]["across"]["max"] == 0.54


def test_lookback_refuses_results_without_the_measurement() -> None:
    models = lookback_models(a=(0.5, 0.45, 0.55))
    models.append({"key": "old", "name": "Old", "test": {}})
    with pytest.raises(RenderError, match=r"no test.context for old \(build/lookback.py"):
        context.lookback(models)


# --- the setting in words (build/render/setting.py) -------------------------------------------------------


@pytest.mark.parametrize(
    ("corpus", "name", "cite"),
    [
        ("brown", "the Brown corpus", " [@francis1979]"),
        ("text8", "text8", " [@mahoney2006]"),
        ("wiki", "the wiki corpus", ""),  # a corpus the prose does not know: named by its key, not cited
    ],
)
def test_each_corpus_has_its_name_and_citation(corpus: str, name: str, cite: str) -> None:
    assert setting.corpus_name(corpus) == name
    assert setting.corpus_cite(corpus) == cite


def test_the_names_carry_the_setting_in_words(names: dict) -> None:
    """The fixture run (brown, 16 units, 256 words) differs from the original in four facts."""
    assert names["corpus_name"] == "the Brown corpus" and names["corpus_cite"] == " [@francis1979]"
    assert names["vocabulary"] == 256 == names["training"]["vocab_size"] - 2
    assert names["first_model"] is names["model_list"][0]


# --- what the measurements say (build/render/findings.py) -------------------------------------------------


def test_the_long_term_rows_read_the_passage_only_when_asked(names: dict) -> None:
    """The fixture's passage shows the LSTM only: the rows hold it alone, with its published original."""
    rows = names["long_term_rows"]()
    assert [row["key"] for row in rows] == ["lstm"] and rows[0]["original"]["key"] == "lstm"
    assert 0 <= rows[0]["long_term_share"] <= 1


def test_the_models_whose_connectivity_is_ranked_against_the_published(names: dict) -> None:
    ranked = names["agreement_models"]
    assert [m["key"] for m in ranked] == [m["key"] for m in names["model_list"]]  # the fixture ranks all
    assert all(m["original"]["key"] == m["key"] and 0 < m["original"]["by_distance"] <= 1 for m in ranked)
    assert names["counted_as_original"]["model"]["key"] == "gru"


def accuracy_model(key: str, top1: list[float], overall: float) -> dict:
    """A model's entry with its top-1 accuracy by letters typed and its overall accuracy."""
    test = {"accuracy": overall, "accuracy_by_letters": {"top1": top1}}
    return {"key": key, "name": key.upper(), "test": test}


def baseline_of(top1: list[float], overall: float = 0.4) -> dict:
    return {"accuracy": overall, "accuracy_by_letters": {"top1": top1}}


def test_against_the_baseline_the_lead_fades_where_the_baseline_catches_up() -> None:
    a, b = accuracy_model("a", [0.2, 0.45, 0.6, 0.8], 0.5), accuracy_model("b", [0.3, 0.4, 0.5, 0.7], 0.45)
    models = [a, b]
    found = findings.against_baseline(models, baseline_of([0.1, 0.4, 0.7, 0.9]))
    assert found["best"]["key"] == "b"  # most often right with no letter typed
    assert found["no_letter"] == {"ours": 0.3, "baseline": 0.1}
    assert found["one_letter"] == {"ours": 0.45, "baseline": 0.4}  # the first model's, after one letter
    assert found["caught_up"] == 2  # level with the best of ours from 2 letters on


def test_against_the_baseline_when_it_never_catches_up_or_leads_from_the_start() -> None:
    models = [accuracy_model("a", [0.3, 0.5, 0.8], 0.5), accuracy_model("b", [0.3, 0.2, 0.1], 0.3)]
    ahead = findings.against_baseline(models, baseline_of([0.1, 0.3, 0.7]))
    assert ahead["best"]["key"] == "a"  # the first of equals
    assert ahead["caught_up"] is None
    assert findings.against_baseline(models, baseline_of([0.4, 0.6, 0.8]))["caught_up"] == 0
    assert findings.against_baseline(models, baseline_of([0.3, 0.5, 0.8]))["caught_up"] == 0  # level


def test_counted_as_the_original_counted_needs_a_model_it_had() -> None:
    published = figure_data.published()
    assert findings.counted_as_original([], published) is None
    model = {"key": "lstm", "test": {"as_original": {"accuracy_by_letters": {"top1": [0.25, 0.5]}}}}
    found = findings.counted_as_original([model], published)
    assert found == {"model": model, "ours": 0.25, "published": published["accuracy"]["lstm"]["top1"][0]}


def test_the_names_carry_memory_against_skill(names: dict) -> None:
    """`skill`: every model read at the fixture run's highest final validation cross entropy (the GRU's),
    from the largest share there to the smallest, with the measurement's settings."""
    read = names["skill"]
    assert read["common"] == names["models"]["gru"]["final_valid_loss"]
    assert [row["key"] for row in read["rows"]] == ["gru", "lstm", "nlstm"]
    assert read["keep_every"] == 5 and read["observations"] == 4
