"""Claims (build/render/claims.py): each check against made-up numbers, the page's markers, file:line and
strict mode."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from build.render import claims, facts
from build.render.claims import Facts, check
from build.render.errors import RenderError
from build.run_files import ARTICLE_DIR
from tests.render_helpers import article, plain


def share(mean: float, low: float, high: float) -> dict:
    groups = {g: {"mean": mean, "low": low, "high": high} for g in facts.LETTER_GROUPS}
    return {"share_before_word": groups}


def model(ce: float, at_space: tuple[float, float, float], top1: list[float]) -> dict:
    return {
        "test": {
            "cross_entropy": ce,
            "context": share(*at_space),
            "accuracy_by_letters": {"top1": top1, "top2": top1, "top3": top1},
        }
    }


WORDS = ["<eos>", "<unknown>", "the", "advanced", "advance", "school"]
PASSAGE = {
    "text": " the advanced school",
    "models": {"gru": {"top_ids": [[2, 3, 4]] * 20}, "lstm": {"top_ids": [[4, 3, 2]] * 20}},
}
NAMES = {
    "models": {
        "gru": model(2.30, (0.80, 0.79, 0.81), [0.20, 0.50]),
        "lstm": model(2.35, (0.78, 0.77, 0.785), [0.18, 0.48]),
        "nlstm": model(2.45, (0.50, 0.49, 0.515), [0.10, 0.40]),
    },
    "baseline": {"cross_entropy": 3.1, "accuracy_by_letters": {"top1": [0.05, 0.45]}},
    "passage_data": lambda passage_id: PASSAGE if passage_id == "p" else {},
    "vocabulary_words": lambda: WORDS,
}
FACTS = Facts(NAMES)


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("order share@0 gru lstm nlstm", True),
        ("order share@0 gru lstm nlstm separated", True),
        ("order share@0 lstm gru nlstm", False),
        ("least share@0 nlstm separated", True),
        ("least share@0 lstm", False),
        ("most share@5+ gru", True),
        ("least cross_entropy gru", True),
        ("above accuracy@0 gru baseline times=3", True),
        ("above accuracy@0 gru baseline times=5", False),
        ("above accuracy@1 gru baseline by=0.04", True),
        ("above accuracy@1 gru baseline by=0.06", False),
        ("within accuracy@1 nlstm baseline by=0.05", True),
        ("within cross_entropy gru nlstm by=0.1", False),
        ("suggests p 5 advanced within=2", True),
        ("suggests p 5 advanced", False),
        ("suggests p 5 the models=gru", True),
        ("misses p 5 the models=lstm", True),  # the lstm's first is "advance"
        ("misses p 5 the", False),  # the gru's first is "the"
        ("misses p 5 the models=lstm within=3", False),
        ("misses p 5 school within=3", True),
        ("known advanced school", True),
        ("known grammar school", False),
    ],
)
def test_each_check_against_the_numbers(text: str, holds: bool) -> None:
    assert check(text, FACTS)[0] is holds


def cut(rise0: tuple[float, float, float], effective: tuple, reach90: int) -> dict:
    """A model's test.truncated: its rise with the word alone, effective context and connectivity reach."""
    mean, low, high = rise0
    return {
        "distances": [0, 2, 4, 8, None],
        "rise": {
            "mean": [mean, 0.05, 0.02, 0.0, 0.0],
            "low": [low, 0.04, 0.01, 0, 0],
            "high": [high, 0.06, 0.03, 0, 0],
        },
        "effective_context": dict(zip(("mean", "low", "high"), effective, strict=True)),
        "connectivity_90": reach90,
    }


CUT = Facts(
    {
        "models": {
            "gru": {"test": {"truncated": cut((0.16, 0.15, 0.17), (8, 8, 8), 8)}},
            "lstm": {"test": {"truncated": cut((0.14, 0.13, 0.145), (8, 4, 8), 5)}},
            "nlstm": {"test": {"truncated": cut((0.08, 0.07, 0.09), (None, 8, None), 4)}},
            "old": {"test": {}},
        }
    }
)


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("order rise@0 gru lstm nlstm separated", True),
        ("order rise@2 gru lstm", False),  # the same rise
        ("within rise@all gru nlstm by=0", True),
        ("order reach90 gru lstm nlstm", True),
        ("within effective_context gru lstm by=0", True),
        ("most effective_context nlstm", True),  # only the whole observation: further than any distance
        ("exceeds effective_context reach90 lstm nlstm", True),
        ("exceeds effective_context reach90 gru", False),
    ],
)
def test_the_measures_of_the_context_taken_away(text: str, holds: bool) -> None:
    names = {k: v for k, v in CUT.models.items() if k != "old"}
    assert check(text, Facts({"models": names}))[0] is holds


def test_the_context_taken_away_says_what_it_cannot_check() -> None:
    with pytest.raises(ValueError, match="rise needs a distance kept, one of 0, 2, 4, 8, all"):
        check("order rise@3 gru lstm", CUT)
    with pytest.raises(ValueError, match="old has no measurement of its context taken away"):
        check("within reach90 gru old by=0", CUT)
    with pytest.raises(ValueError, match="exceeds needs two measures and at least one model"):
        check("exceeds effective_context reach90", CUT)
    _, numbers = check("order effective_context lstm nlstm", CUT)
    assert numbers == (
        "effective_context: lstm 8 [4, 8]; nlstm the whole observation [8, the whole observation]"
    )


def test_separated_needs_intervals_apart() -> None:
    names = {**NAMES, "models": {**NAMES["models"], "lstm": model(2.35, (0.79, 0.785, 0.805), [0.1])}}
    facts = Facts(names)
    assert check("order share@0 gru lstm", facts)[0]
    assert not check("order share@0 gru lstm separated", facts)[0]


def seeded(*per_seed: dict) -> dict:
    """A model trained with seeds 1, 2, ...: the first seed's test values, and every seed's."""
    return {**per_seed[0], "seeds": [{"seed": k, "test": m["test"]} for k, m in enumerate(per_seed, 1)]}


def test_with_several_seeds_a_comparison_holds_only_in_every_seed() -> None:
    models = {
        "gru": seeded(model(2.30, (0.80, 0.79, 0.81), [0.2]), model(2.31, (0.70, 0.69, 0.71), [0.2])),
        "lstm": seeded(model(2.35, (0.78, 0.77, 0.79), [0.2]), model(2.36, (0.75, 0.74, 0.76), [0.2])),
        "nlstm": seeded(model(2.45, (0.50, 0.49, 0.51), [0.1]), model(2.40, (0.52, 0.51, 0.53), [0.1])),
    }
    facts = Facts({**NAMES, "models": models})
    holds, numbers = check("order share@0 gru lstm nlstm", facts)
    assert not holds
    assert numbers.startswith("holds in seed 1 of 2 only: seed 1: share@0: gru 80.0%")
    assert "seed 2: share@0: gru 70.0%" in numbers
    assert check("order share@0 lstm nlstm separated", facts) == (
        True,
        "seed 1: share@0: lstm 78.0% [77.0%, 79.0%]; nlstm 50.0% [49.0%, 51.0%]; "
        "seed 2: share@0: lstm 75.0% [74.0%, 76.0%]; nlstm 52.0% [51.0%, 53.0%]",
    )
    assert check("most cross_entropy gru", facts)[1].startswith("holds in none of the 2 seeds")
    assert check("suggests p 5 the models=gru", facts)[0]  # passages are the first seed's: checked once


def test_one_seed_is_checked_as_before() -> None:
    models = {key: seeded(m) for key, m in NAMES["models"].items()}
    facts = Facts({**NAMES, "models": models})
    assert check("order share@0 gru lstm nlstm", facts) == check("order share@0 gru lstm nlstm", FACTS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("biggest share@0 gru", "unknown check 'biggest'"),
        ("least share@0 rnn", "'rnn' must be one of this run's models"),
        ("order share@9 gru lstm", "share needs letters read"),
        ("order loss gru lstm", "unknown measure 'loss'"),
        ("order accuracy@7 gru lstm", "accuracy is measured up to 1 letters"),
        ("suggests q 5 advanced", "no passage 'q'"),
        ("suggests p 99 advanced", "position 99 is outside passage 'p'"),
        ("within share@0 gru", "wrong arguments"),
        ('order "share@0 gru', "cannot read the claim"),
    ],
)
def test_a_claim_that_cannot_be_checked_says_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check(text, FACTS)


def test_the_numbers_of_a_claim_name_every_model_it_compared() -> None:
    _, numbers = check("least share@0 lstm", FACTS)
    assert numbers == (
        "share@0: lstm 78.0% [77.0%, 78.5%]; gru 80.0% [79.0%, 81.0%]; nlstm 50.0% [49.0%, 51.5%]"
    )
    assert check("known grammar", FACTS)[1] == "not in the 4 words: grammar"


def test_claims_leave_a_hidden_marker_or_a_visible_note_with_file_and_line(tmp_path: Path) -> None:
    text = (
        "# Title\n\nThe GRU looks back furthest. {claim: most share@0 gru}\n\n"
        "Line four.\n\nThe LSTM looks back least. {claim: least share@0 lstm separated}\n"
    )
    result = article(tmp_path, text, NAMES, ("gru", "lstm", "nlstm"))
    assert "{claim" not in result.body and "MEMOCLAIM" not in result.body
    assert result.body.count('class="memo-claim"') == 1 and "hidden" in result.body
    shown = plain(result.body)
    assert "The GRU looks back furthest." in shown
    assert "The LSTM looks back least. [not supported by this build: share@0: lstm 78.0%" in shown
    assert result.claims.failures() == [
        f"{tmp_path / 'index.md'}:7: claim 'least share@0 lstm separated' does not hold: share@0: lstm "
        "78.0% [77.0%, 78.5%]; gru 80.0% [79.0%, 81.0%]; nlstm 50.0% [49.0%, 51.5%]"
    ]


def test_a_claim_on_its_own_line_leaves_no_gap_before_the_punctuation(tmp_path: Path) -> None:
    text = "# Title\n\nThe GRU names it\n  {claim: most share@0 gru}, while the others do not.\n\nNext.\n"
    result = article(tmp_path, text, NAMES, ("gru", "lstm", "nlstm"))
    assert re.search(r"The GRU names it<span [^>]*hidden></span>, while the others do not\.", result.body)
    assert result.body.count("<p>") == 2  # the paragraphs stay apart


def test_strict_mode_stops_on_a_failing_claim_and_not_otherwise(tmp_path: Path, capsys) -> None:
    result = article(tmp_path, "A claim. {claim: least share@0 gru}\n", NAMES, ("gru", "lstm", "nlstm"))
    claims.report(result.claims, strict=False)
    assert "warning: " in capsys.readouterr().out
    with pytest.raises(RenderError, match=r"(?s)1 claim\(s\) not supported.*index.md:1"):
        claims.report(result.claims, strict=True)
    holding = article(tmp_path, "A claim. {claim: least share@0 nlstm}\n", NAMES, ("gru", "lstm", "nlstm"))
    claims.report(holding.claims, strict=True)


def test_a_claim_in_a_caption_is_checked_too(tmp_path: Path) -> None:
    text = "# T\n\n```figure vanishing\nA caption. {claim: known grammar}\n```\n"
    result = article(tmp_path, text, NAMES, ("gru", "lstm", "nlstm"))
    assert "not supported by this build: not in the 4 words: grammar" in plain(result.body)
    assert result.claims.failures()[0].startswith(f"{tmp_path / 'index.md'}:4: ")


def test_hostile_claim_text_is_escaped(tmp_path: Path) -> None:
    result = article(tmp_path, 'X {claim: known "<script>x</script>"}\n', NAMES, ("gru",))
    assert "<script>" not in result.body and "&lt;script&gt;" in result.body


def test_claims_of_the_article_read_only_known_checks() -> None:
    """Every {claim: ...} of article/*.md names a check this module has (a typo fails here, not on CI's
    strict build)."""

    found = [
        m["body"].split()[0]
        for path in ARTICLE_DIR.glob("*.md")
        if path.name != "README.md"
        for m in re.finditer(r"\{claim:\s*(?P<body>[^{}\n]*)\}", path.read_text())
    ]
    assert set(found) <= set(claims.CHECKS)


def test_a_passage_position_the_models_cannot_name_is_an_unsupported_claim(tmp_path: Path) -> None:
    """A shown or highlighted index whose word has no class gets a note after the passage figure and
    counts as a failing claim (strict mode stops); `outside` accepts it on purpose."""
    text = " the advanced grammar"
    targets = [2] * 4 + [3] * 9 + [-1] * 8
    data = {"text": text, "targets": targets, "models": {}}
    names = {**NAMES, "passage_data": lambda passage_id: data}
    block = '# T\n\n```passage id=p position=14 highlights="4 14"{outside}\nthe advanced grammar\n```\n'
    result = article(tmp_path, block.format(outside=""), names, ("gru",))
    shown = plain(result.body)
    assert "[not supported by this build: index 14 of passage p belongs to “grammar”" in shown
    assert "among this build's 4 words" in shown
    (failure,) = result.claims.failures()
    assert failure.startswith(f"{tmp_path / 'index.md'}:3: ")
    with pytest.raises(RenderError):
        claims.report(result.claims, strict=True)
    quiet = article(tmp_path, block.format(outside=' outside="14"'), names, ("gru",))
    assert quiet.claims.failures() == [] and "not supported" not in quiet.body


def test_the_record_of_a_sites_claims_is_what_make_checks(tmp_path: Path) -> None:
    """site/data/claims.json lists every claim; `python -m build.render.claims SITE` prints the failing
    ones with file:line and exits 1 (make article STRICT=1 runs it), 0 when all hold."""
    import subprocess
    import sys

    from build import profiles

    result = article(tmp_path, "A. {claim: least share@0 gru}\n\nB. {claim: least share@0 nlstm}\n", NAMES)
    site = tmp_path / "site"
    claims.record(result.claims, site)
    entries = json.loads((site / "data" / "claims.json").read_text())["claims"]
    assert [(e["claim"], e["holds"]) for e in entries] == [
        ("least share@0 gru", False),
        ("least share@0 nlstm", True),
    ]
    command = [sys.executable, "-m", "build.render.claims", str(site)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=profiles.ROOT)
    assert done.returncode == 1
    assert f"{tmp_path / 'index.md'}:1: claim 'least share@0 gru' does not hold" in done.stdout
    assert "1 of 2 claims hold" in done.stdout
    holding = article(tmp_path, "B. {claim: least share@0 nlstm}\n", NAMES)
    claims.record(holding.claims, site)
    assert subprocess.run(command, capture_output=True, cwd=profiles.ROOT).returncode == 0
    missing = subprocess.run([*command[:-1], str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert missing.returncode == 1 and "no record of the page's claims" in missing.stderr


def during(*points: tuple[float, float]) -> list[dict]:
    return [
        {"step": 5 * (i + 1), "valid_cross_entropy": ce, "share_before_word_0": {"mean": share}}
        for i, (ce, share) in enumerate(points)
    ]


GRU_CURVE = during((3.0, 0.4), (2.0, 0.5))
LSTM_CURVE = during((3.0, 0.4), (1.0, 0.8))


def test_the_share_at_the_cross_entropy_every_model_reaches() -> None:
    """Models compared at equal skill: at 2.0 (the GRU's final cross entropy) the LSTM's curve, interpolated
    between its steps, has 0.6 before the word, more than the GRU's 0.5."""
    facts = Facts(
        {
            "models": {
                "gru": {"test": {}, "seeds": [{"seed": 1, "during_training": GRU_CURVE}]},
                "lstm": {"test": {}, "seeds": [{"seed": 1, "during_training": LSTM_CURVE}]},
            }
        }
    )
    assert check("order skill_share lstm gru", facts)[0] is True
    assert check("order skill_share gru lstm", facts)[0] is False


def banded(*points: tuple[float, float], spread: float) -> list[dict]:
    """A during_training curve whose shares have an interval of ±spread."""
    curve = during(*points)
    for p in curve:
        share = p["share_before_word_0"]["mean"]
        p["share_before_word_0"] = {"mean": share, "low": share - spread, "high": share + spread}
    return curve


def test_the_share_at_equal_skill_is_separated_by_its_interpolated_intervals() -> None:
    """At 2.0 the LSTM has 0.6 (0.56 to 0.64) and the GRU 0.5: apart with intervals of ±0.04, not of ±0.15."""

    def with_spread(spread: float) -> Facts:
        curves = {
            "gru": banded((3.0, 0.4), (2.0, 0.5), spread=spread),
            "lstm": banded(*LSTM_POINTS, spread=spread),
        }
        return Facts(
            {
                "models": {
                    k: {"test": {}, "seeds": [{"seed": 1, "during_training": c}]} for k, c in curves.items()
                }
            }
        )

    narrow = with_spread(0.04)
    assert narrow.value("skill_share", "lstm").low == pytest.approx(0.56)
    assert check("most skill_share lstm separated", narrow)[0] is True
    assert check("most skill_share lstm separated", with_spread(0.15))[0] is False
    assert check("most skill_share lstm", with_spread(0.15))[0] is True


LSTM_POINTS = ((3.0, 0.4), (1.0, 0.8))


def test_the_share_at_equal_skill_is_checked_in_every_seed() -> None:
    """In seed 2 the GRU ends at 1.5 and the LSTM's curve is flat: the order holds in seed 1 only."""
    seeds = {
        "gru": [(1, GRU_CURVE), (2, during((3.0, 0.4), (1.5, 0.7)))],
        "lstm": [(1, LSTM_CURVE), (2, during((3.0, 0.3), (1.0, 0.3)))],
    }
    facts = Facts(
        {
            "models": {
                key: {"test": {}, "seeds": [{"seed": s, "test": {}, "during_training": c} for s, c in listed]}
                for key, listed in seeds.items()
            }
        }
    )
    holds, numbers = check("order skill_share lstm gru", facts)
    assert holds is False and "holds in seed 1 of 2 only" in numbers


def test_when_the_share_and_the_cross_entropy_moved_are_measures() -> None:
    """The GRU's share 0.4 -> 0.5 -> 0.9 makes half of its change late (between steps 10 and 15), its
    cross entropy 3.0 -> 2.0 -> 1.9 half of its fall early (between steps 5 and 10)."""
    curve = during((3.0, 0.4), (2.0, 0.5), (1.9, 0.9))
    facts = Facts({"models": {"gru": {"test": {}, "seeds": [{"seed": 1, "during_training": curve}]}}})
    assert facts.value("share_half_step", "gru").mean == pytest.approx(10 + 5 * 0.15 / 0.4)
    assert facts.value("ce_half_step", "gru").mean == pytest.approx(5 + 5 * 0.55 / 1.0)
    assert check("exceeds share_half_step ce_half_step gru", facts)[0] is True
    assert check("exceeds ce_half_step share_half_step gru", facts)[0] is False
