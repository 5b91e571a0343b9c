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


def test_lookback_orders_the_models_and_says_which_steps_are_separated() -> None:
    found = context.lookback(lookback_models(a=(0.5, 0.45, 0.55), b=(0.7, 0.6, 0.8), c=(0.75, 0.7, 0.8)))
    assert [m["key"] for m in found["ordered"]] == ["c", "b", "a"] and found["furthest"]["key"] == "c"
    assert [step["separated"] for step in found["steps"]] == [False, True]  # c and b overlap; b clears a
    assert not found["separated"]
    assert found["claim"]("a") == "supported"  # below both, beyond the intervals
    assert found["claim"]("b") == found["claim"]("c") == "contradicted"  # each lies clear above a
    overlapping = context.lookback(lookback_models(x=(0.5, 0.4, 0.6), y=(0.55, 0.45, 0.65), z=(0.9, 0.8, 1)))
    assert overlapping["claim"]("x") == "not separated"  # below z beyond the intervals, but not below y
    assert found["claim"]("missing") is None
    assert context.lookback(lookback_models(a=(0.5, 0.4, 0.6)))["claim"]("a") is None  # nothing to compare
    # context_data's curve is 0.3 * (2/3)^d: under 1% from d = 9 on
    assert found["reach"] == {"a": 9, "b": 9, "c": 9}
    assert found["observations"] == 200 and found["resamples"] == 1000


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


def setting_of(**changes: object) -> dict:
    """The names `difference_phrase` reads, for a small run against the original's recipe."""
    names = {
        "corpus_name": "the Brown corpus",
        "original": figure_data.published()["recipe"],
        "model_list": [{"key": "gru", "units": 128}],
        "training": {"embedding": 128, "recipe": "1,000 training steps of 16 at a learning rate of 0.015"},
        "vocabulary": 4096,
        "evaluation": {"observations": None},
    }
    return {**names, **changes}


def test_each_difference_is_a_phrase_of_ours_instead_of_the_originals() -> None:
    names = setting_of()
    phrases = {
        "corpus": "the Brown corpus instead of text8",
        "sizes": "models of 128 units with an embedding of 128 and 4,096 words instead of 600 units, 600 and "
        "16,384 words",
        "training": "1,000 training steps of 16 at a learning rate of 0.015 instead of 14,278 steps of 64 at "
        "a constant 0.001",
        "init": "PyTorch's default initial weights instead of the original's",
        "test": "part of the test split instead of all of them",  # evaluation.observations None
    }
    for fact, phrase in phrases.items():
        assert setting.difference_phrase(fact, names) == phrase, fact
    some = setting_of(evaluation={"observations": 1500})
    phrase = "the first 1,500 test observations instead of all of them"
    assert setting.difference_phrase("test", some) == phrase
    with pytest.raises(ValueError, match="no phrase for the difference 'seed'"):
        setting.difference_phrase("seed", names)


def test_differences_join_with_and_and_semicolons_from_three_on() -> None:
    assert setting.join_differences([]) == ""
    assert setting.join_differences(["a, x"]) == "a, x"
    assert setting.join_differences(["a, x", "b"]) == "a, x and b"
    assert setting.join_differences(["a, x", "b", "c"]) == "a, x; b; and c"
    assert setting.join_differences(["a", "b", "c", "d"]) == "a; b; c; and d"


def test_the_names_carry_the_setting_in_words(names: dict) -> None:
    """The fixture run (brown, 16 units, 256 words) differs from the original in four facts."""
    assert names["corpus_name"] == "the Brown corpus" and names["corpus_cite"] == " [@francis1979]"
    assert names["vocabulary"] == 256 == names["training"]["vocab_size"] - 2
    assert names["first_model"] is names["model_list"][0]
    phrases = names["difference_phrases"]
    steps = f"{names['training']['steps']:,}"
    assert [p.split(" ")[0] for p in phrases] == ["the", "models", steps, "PyTorch's"]
    assert phrases[1].startswith("models of 16 units with an embedding of 16 and 256 words instead of 600")
    assert names["all_differences"] == f"{phrases[0]}; {phrases[1]}; {phrases[2]}; and {phrases[3]}"


# --- what the measurements say (build/render/findings.py) -------------------------------------------------


def long_term(ours: dict[str, float], theirs: dict[str, float], keys: list[str]) -> findings.LongTerm:
    """The comparison at the long-term position for our models `keys` (all compared) with these shares."""
    models = {key: {"key": key, "name": key.upper()} for key in keys}
    least = findings.least_looking_back([{"key": k, "name": k} for k in theirs], theirs.__getitem__)
    return findings.LongTerm(ours.__getitem__, theirs.__getitem__, least, models, list(models.values()))


PUBLISHED = {"gru": 0.9, "lstm": 0.85, "nlstm": 0.3}  # the original's: its Nested LSTM looks back least


def test_the_original_model_looking_back_least_is_the_first_of_the_lowest() -> None:
    assert findings.least_looking_back([{"key": k} for k in PUBLISHED], PUBLISHED.__getitem__) == "nlstm"
    tied = {"a": 0.2, "b": 0.2}
    assert findings.least_looking_back([{"key": "a"}, {"key": "b"}], tied.__getitem__) == "a"
    assert findings.least_looking_back([], tied.__getitem__) is None


def test_the_long_term_position_counts_the_models_below_their_published_share() -> None:
    assert long_term({"gru": 0.5, "lstm": 0.5, "nlstm": 0.2}, PUBLISHED, ["gru", "lstm", "nlstm"]).lower == 3
    assert long_term({"gru": 0.95, "lstm": 0.5, "nlstm": 0.3}, PUBLISHED, ["gru", "lstm", "nlstm"]).lower == 1
    assert long_term({"gru": 0.95, "lstm": 0.9, "nlstm": 0.4}, PUBLISHED, ["gru", "lstm", "nlstm"]).lower == 0


def test_the_long_term_order_is_the_originals_or_not_or_unknown() -> None:
    keys = ["gru", "lstm", "nlstm"]
    same = long_term({"gru": 0.5, "lstm": 0.6, "nlstm": 0.2}, PUBLISHED, keys)
    assert same.order == "same" and same.least["key"] == "nlstm"
    assert long_term({"gru": 0.5, "lstm": 0.1, "nlstm": 0.2}, PUBLISHED, keys).order == "different"
    assert long_term({"gru": 0.5, "lstm": 0.6, "nlstm": 0.5}, PUBLISHED, keys).order == "different"  # a tie
    missing = long_term({"gru": 0.5, "lstm": 0.6}, PUBLISHED, ["gru", "lstm"])
    assert missing.least is None and missing.order is None  # the run has no Nested LSTM
    assert long_term({"nlstm": 0.2}, PUBLISHED, ["nlstm"]).order is None  # nothing to set beside it


def test_a_wide_gap_between_the_other_two_is_named_only_where_the_original_had_none() -> None:
    keys = ["gru", "lstm", "nlstm"]
    gap = long_term({"gru": 0.3, "lstm": 0.9, "nlstm": 0.2}, PUBLISHED, keys).wide_gap
    assert [m["key"] for m in gap["models"]] == ["gru", "lstm"] and gap["more"]["key"] == "lstm"
    gap = long_term({"gru": 0.9, "lstm": 0.3, "nlstm": 0.2}, PUBLISHED, keys).wide_gap
    assert gap["more"]["key"] == "gru"
    assert long_term({"gru": 0.6, "lstm": 0.5, "nlstm": 0.2}, PUBLISHED, keys).wide_gap is None  # close
    apart = {**PUBLISHED, "lstm": 0.6}  # the original's two are apart too
    assert long_term({"gru": 0.9, "lstm": 0.3, "nlstm": 0.2}, apart, keys).wide_gap is None
    without = long_term({"gru": 0.9, "lstm": 0.3}, PUBLISHED, ["gru", "lstm"])  # no Nested LSTM: the two
    assert without.wide_gap["more"]["key"] == "gru"
    assert long_term({"gru": 0.9}, PUBLISHED, ["gru"]).wide_gap is None  # not two others
    three = long_term({"gru": 0.9, "lstm": 0.3, "rnn": 0.5}, PUBLISHED, ["gru", "lstm", "rnn"])
    assert three.wide_gap is None  # three others


def test_the_long_term_values_read_the_passage_only_when_asked(names: dict) -> None:
    """The fixture's passage shows the LSTM only: the names are made, and asking about the others fails."""
    assert names["long_term"].least["key"] == "nlstm"  # from the published data alone
    with pytest.raises(RenderError, match="passage 'grammar' has no model 'gru'"):
        _ = names["long_term"].lower


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
    assert found["no_letter"] == {"ours": 0.3, "baseline": 0.1, "times": pytest.approx(3.0)}
    assert found["one_letter"]["ours"] == 0.45 and found["one_letter"]["times"] == pytest.approx(1.125)
    assert found["gains_most_with_no_letter"]  # 3 times the baseline's, against 1.125 after one letter
    assert found["caught_up"] == 2 and found["ahead_after"]  # ahead at both counts from 2 on
    assert found["all_beat"]


def test_against_the_baseline_when_it_never_catches_up_or_leads_from_the_start() -> None:
    models = [accuracy_model("a", [0.3, 0.5, 0.8], 0.5), accuracy_model("b", [0.3, 0.2, 0.1], 0.3)]
    ahead = findings.against_baseline(models, baseline_of([0.1, 0.3, 0.7]))
    assert ahead["best"]["key"] == "a"  # the first of equals
    assert ahead["caught_up"] is None and not ahead["ahead_after"]
    assert not ahead["all_beat"]  # b's overall accuracy is below the baseline's
    assert ahead["gains_most_with_no_letter"]  # 3 times the baseline's with no letter, 1.67 after one
    later = findings.against_baseline(models, baseline_of([0.1, 0.1, 0.7]))
    assert not later["gains_most_with_no_letter"]  # 3 times with no letter, but 5 after one letter
    behind = findings.against_baseline(models, baseline_of([0.4, 0.6, 0.8]))
    assert behind["no_letter"]["times"] is None and behind["one_letter"]["times"] is None
    assert behind["caught_up"] == 0 and behind["ahead_after"]  # ahead at 0 and 1, level at 2
    level = findings.against_baseline(models, baseline_of([0.3, 0.5, 0.8]))
    assert level["caught_up"] == 0 and not level["ahead_after"]  # level everywhere: never ahead
    empty = findings.against_baseline(models, baseline_of([0.0, 0.0, 0.0]))
    assert empty["no_letter"]["times"] is None and not empty["gains_most_with_no_letter"]


def test_the_weakest_with_no_letter_ours_and_the_originals() -> None:
    published = figure_data.published()  # the original's Nested LSTM is its weakest with no letter
    original = [{"key": k, "name": m["name"]} for k, m in published["passage"]["models"].items()]
    models = [accuracy_model("gru", [0.2], 0.5), accuracy_model("nlstm", [0.1], 0.5)]
    found = findings.weakest(models, original, published)
    assert found["original"]["key"] == "nlstm" and found["original"]["name"] == "Nested LSTM"
    assert found["ours"]["key"] == "nlstm" and found["counterpart"] is models[1]
    models = [accuracy_model("gru", [0.1], 0.5), accuracy_model("rnn", [0.1], 0.5)]
    found = findings.weakest(models, original, published)
    assert found["ours"]["key"] == "gru" and found["counterpart"] is None  # the first of equals; no nlstm


def test_counted_as_the_original_counted_needs_a_model_it_had() -> None:
    published = figure_data.published()
    assert findings.counted_as_original([], published) is None
    model = {"key": "lstm", "test": {"as_original": {"accuracy_by_letters": {"top1": [0.25, 0.5]}}}}
    found = findings.counted_as_original([model], published)
    assert found == {"model": model, "ours": 0.25, "published": published["accuracy"]["lstm"]["top1"][0]}


def test_lookback_says_what_the_test_set_says_of_the_originals_claim() -> None:
    models = lookback_models(a=(0.5, 0.45, 0.55), b=(0.7, 0.6, 0.8), c=(0.75, 0.7, 0.8))
    supported = context.lookback(models, "a")
    assert supported["claimed"]["key"] == "a" and supported["verdict"] == "supported"
    assert supported["below_claimed"] == []
    assert [(s["above"]["key"], s["below"]["key"]) for s in supported["overlapping"]] == [("c", "b")]
    above = lookback_models(n=(0.9, 0.85, 0.95), g=(0.4, 0.3, 0.5), l=(0.6, 0.5, 0.7))
    contradicted = context.lookback(above, "n")
    assert contradicted["verdict"] == "contradicted"
    assert [m["key"] for m in contradicted["below_claimed"]] == ["l", "g"]  # in the order, highest first
    unseparated = context.lookback(lookback_models(x=(0.5, 0.4, 0.6), y=(0.55, 0.45, 0.65)), "x")
    assert unseparated["verdict"] == "not separated" and unseparated["below_claimed"] == []
    absent = context.lookback(models, "nlstm")
    assert absent["claimed"] is None and absent["verdict"] is None
    assert context.lookback(models)["verdict"] is None
