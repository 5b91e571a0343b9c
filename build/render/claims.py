"""Claims: a sentence that states a finding declares the check that backs it, next to it in the Markdown,

    The Nested LSTM looks back least. {claim: least share@0 nlstm separated}

and the build checks it against this run's numbers: in a run whose models trained with several seeds
(SEEDS=n), a comparison of measures (order, least, most, above, within, exceeds) is checked in every
seed's numbers and holds only when it holds in all of them; the note of one that holds in some says
which. A claim that holds leaves no trace on the page but a hidden marker; one that fails is printed
with its `file:line`, marked beside its sentence ("not supported by this build", with the numbers), and
stops the render in strict mode (`--strict`, `make article STRICT=1`). A claim is a check's name and its
arguments: model keys, `baseline`, measures and numbers, written as words separated by spaces
(`key=value` for the options a check names).

Measures (of a model key, or of `baseline` where it has them):
    share@L           share of the connectivity before the current word with L letters read (0..4, 5+),
                      over the test set, with its bootstrap interval
    cross_entropy     test cross entropy
    accuracy@L        top-1 accuracy with L letters of the word read (0, 1, 2, ...); top2@L, top3@L too
    rise@D            the rise of cross entropy over the whole observation's when only D characters before
                      the current word are kept (D one of the measured distances), with its interval
    effective_context the fewest characters kept that bring the cross entropy within 1% of the whole
                      observation's, with its interval (the whole observation counts as infinitely far)
    reach90           the distance back within which 90% of the connectivity lies at the space before a word
    skill_share       share@0 along the model's during_training curve at the validation cross entropy every
                      model reaches (the highest final one), with its interval interpolated alike
    share_half_step   the step by which share@0 made half of its change from the first kept weights to the
                      final model; ce_half_step the same for the validation cross entropy

Checks:
    order M a b c [separated]          M(a) > M(b) > M(c); with `separated`, each pair's intervals apart
    least M a [separated]              a has the lowest M of the run's models
    most M a [separated]               a has the highest M
    above M a b [by=X] [times=X]       M(a) > M(b), by more than X (absolute) or X times as much
    within M a b by=X                  |M(a) - M(b)| <= X
    exceeds M N a b ...                M(k) > N(k) for each listed model k (two measures of one model)
    suggests PASSAGE POSITION WORD [models=a,b] [within=K]
                                       WORD is among the first K suggestions (default 1) of every
                                       listed model (default: all) at POSITION of the passage
    misses PASSAGE POSITION WORD [models=a,b] [within=K]
                                       WORD is not among the first K suggestions (default 1) of
                                       any listed model there
    known WORD ...                     every WORD is in this build's vocabulary
"""

from __future__ import annotations

import html
import json
import re
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from build import site_layout
from build.render.errors import Origin, RenderError, placeholder
from build.render.facts import Facts, Value
from build.run_files import write_if_changed

# A claim takes the blanks before it, up to one line break, so that the sentence it follows keeps its
# punctuation ("a letter {claim: ...}, while" reads "a letter, while"), and paragraphs stay apart.
_CLAIM = re.compile(r"[ \t]*\n?[ \t]*\{claim:\s*(?P<body>[^{}\n]*)\}")


@dataclass
class Claim:
    text: str  # as written, after `claim:`
    source: str  # file:line
    holds: bool = False
    numbers: str = ""  # what the check compared, shown beside a claim that fails
    error: str = ""  # the claim could not be checked (unknown check, model, measure)


def _apart(higher: Value, lower: Value) -> bool:
    """The intervals do not overlap (a value without an interval counts as its own point)."""
    low = higher.low if higher.low is not None else higher.mean
    high = lower.high if lower.high is not None else lower.mean
    return low > high


def _shown(facts: Facts, measure: str, keys: list[str]) -> str:
    return "; ".join(f"{key} {facts.value(measure, key).text(measure)}" for key in keys)


def _order(facts: Facts, measure: str, *keys: str, separated: bool = False) -> tuple[bool, str]:
    if len(keys) < 2:
        raise ValueError("order needs a measure and at least two models")
    values = [facts.value(measure, key) for key in keys]
    holds = all(a.mean > b.mean for a, b in zip(values, values[1:], strict=False))
    if separated:
        holds = holds and all(_apart(a, b) for a, b in zip(values, values[1:], strict=False))
    return holds, f"{measure}: {_shown(facts, measure, list(keys))}"


def _extreme(lowest: bool) -> Callable[..., tuple[bool, str]]:
    def check(facts: Facts, measure: str, key: str, separated: bool = False) -> tuple[bool, str]:
        others = [k for k in facts.keys() if k != key]
        if key not in facts.models or not others:
            raise ValueError(f"{key!r} must be one of this run's models, with others to compare")
        mine = facts.value(measure, key)
        holds = True
        for other in others:
            theirs = facts.value(measure, other)
            below, above = (mine, theirs) if lowest else (theirs, mine)
            holds = holds and below.mean < above.mean and (not separated or _apart(above, below))
        return holds, f"{measure}: {_shown(facts, measure, [key, *others])}"

    return check


def _above(facts: Facts, measure: str, a: str, b: str, by: str = "0", times: str = "") -> tuple[bool, str]:
    first, second = facts.value(measure, a).mean, facts.value(measure, b).mean
    holds = first - second > float(by) and (not times or first > float(times) * second)
    return holds, f"{measure}: {_shown(facts, measure, [a, b])}"


def _within(facts: Facts, measure: str, a: str, b: str, by: str) -> tuple[bool, str]:
    first, second = facts.value(measure, a).mean, facts.value(measure, b).mean
    return abs(first - second) <= float(by), f"{measure}: {_shown(facts, measure, [a, b])}"


def _exceeds(facts: Facts, measure: str, other: str, *keys: str) -> tuple[bool, str]:
    if not keys:
        raise ValueError("exceeds needs two measures and at least one model")
    holds = all(facts.value(measure, k).mean > facts.value(other, k).mean for k in keys)
    shown = [f"{m}: {_shown(facts, m, list(keys))}" for m in (measure, other)]
    return holds, "; ".join(shown)


def _suggests(
    facts: Facts, passage: str, position: str, word: str, models: str = "", within: str = "1"
) -> tuple[bool, str]:
    return _suggestions(facts, passage, position, word, models, within, present=True)


def _misses(
    facts: Facts, passage: str, position: str, word: str, models: str = "", within: str = "1"
) -> tuple[bool, str]:
    return _suggestions(facts, passage, position, word, models, within, present=False)


def _suggestions(
    facts: Facts, passage: str, position: str, word: str, models: str, within: str, present: bool
) -> tuple[bool, str]:
    """Whether WORD is (`present`) or is not among the first `within` suggestions of every listed model
    at `position` of the passage, and each model's suggestions there."""
    data = facts.passage(passage)
    if not data:
        raise ValueError(f"no passage {passage!r} on this page")
    index = int(position)
    if not 0 <= index < len(data["text"]):
        raise ValueError(f"position {index} is outside passage {passage!r} (0..{len(data['text']) - 1})")
    keys = models.split(",") if models else list(data["models"])
    vocab = facts.vocab()
    shown, holds = [], True
    for key in keys:
        if key not in data["models"]:
            raise ValueError(f"passage {passage!r} has no model {key!r}")
        top = [vocab[i] for i in data["models"][key]["top_ids"][index]]
        holds = holds and (word in top[: int(within)]) == present
        shown.append(f"{key}: {', '.join(top)}")
    return holds, f"at {index} of {passage}: " + "; ".join(shown)


def _known(facts: Facts, *words: str) -> tuple[bool, str]:
    vocab = set(facts.vocab())
    missing = [w for w in words if w not in vocab]
    return not missing, f"not in the {len(vocab) - 2:,} words: {', '.join(missing)}" if missing else ""


CHECKS: dict[str, Callable[..., tuple[bool, str]]] = {
    "order": _order,
    "least": _extreme(lowest=True),
    "most": _extreme(lowest=False),
    "above": _above,
    "within": _within,
    "exceeds": _exceeds,
    "suggests": _suggests,
    "misses": _misses,
    "known": _known,
}
FLAGS = ("separated",)  # words that switch an option on
# The checks that compare measured numbers: with several training seeds, each seed's must agree.
SEEDED = ("order", "least", "most", "above", "within", "exceeds")


def in_every_seed(facts: Facts, run: Callable[[Facts], tuple[bool, str]]) -> tuple[bool, str]:
    """`run` on every training seed's numbers: holds when it holds in each; the numbers name the seeds
    where it holds when that is some of them only, then each seed's numbers."""
    seeds = facts.seeds()
    if len(seeds) < 2:
        return run(facts)
    results = [run(facts.for_seed(seed)) for seed in seeds]
    holding = [seed for seed, (holds, _) in zip(seeds, results, strict=True) if holds]
    shown = "; ".join(f"seed {seed}: {numbers}" for seed, (_, numbers) in zip(seeds, results, strict=True))
    if len(holding) == len(seeds):
        return True, shown
    if not holding:
        return False, f"holds in none of the {len(seeds)} seeds: {shown}"
    plural = "s" if len(holding) > 1 else ""
    return False, f"holds in seed{plural} {', '.join(map(str, holding))} of {len(seeds)} only: {shown}"


def check(text: str, facts: Facts) -> tuple[bool, str]:
    """(holds, numbers) of one claim's text; ValueError names what cannot be checked."""
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise ValueError(f"cannot read the claim ({error})") from error
    if not words or words[0] not in CHECKS:
        raise ValueError(f"unknown check {words[0] if words else ''!r}; known: {', '.join(CHECKS)}")
    positional, options = [], {}
    for word in words[1:]:
        key, equals, value = word.partition("=")
        if equals:
            options[key] = value
        elif word in FLAGS:
            options[word] = True
        else:
            positional.append(word)
    try:
        if words[0] in SEEDED:
            return in_every_seed(facts, lambda seeded: CHECKS[words[0]](seeded, *positional, **options))
        return CHECKS[words[0]](facts, *positional, **options)
    except TypeError as error:
        raise ValueError(f"{words[0]}: wrong arguments ({error}); see build/render/claims.py") from error


class Claims:
    """The claims of one article: taken out of each text before Markdown, checked, put back as markers."""

    def __init__(self, names: dict) -> None:
        self.facts = Facts(names)
        self.claims: list[Claim] = []

    def protect(self, text: str, origin: Origin) -> str:
        def take(match: re.Match) -> str:
            body = match["body"].strip()
            claim = Claim(body, origin.at(match[0].strip()))
            try:
                claim.holds, claim.numbers = check(body, self.facts)
            except (ValueError, KeyError, IndexError) as error:
                claim.error = str(error)
            self.claims.append(claim)
            return placeholder("CLAIM", len(self.claims) - 1)

        return _CLAIM.sub(take, text)

    def restore(self, page: str) -> str:
        return re.sub(
            placeholder("CLAIM", 0).replace("0", r"(\d+)"), lambda m: self.note(self.claims[int(m[1])]), page
        )

    def unsupported(self, source: str, text: str, why: str) -> str:
        """Records a claim the page makes without a sentence (a passage position the models cannot name)
        that does not hold; returns its note."""
        self.claims.append(Claim(text, source, holds=False, numbers=why))
        return self.note(self.claims[-1])

    @staticmethod
    def note(claim: Claim) -> str:
        """A claim's marker: hidden when it holds, else the numbers that do not support it."""
        attribute = html.escape(claim.text, quote=True)
        if claim.holds:
            return f'<span class="memo-claim" data-claim="{attribute}" hidden></span>'
        return (
            f' <span class="memo-claim memo-claim-failed" data-claim="{attribute}" role="note">'
            f"[not supported by this build: {html.escape(claim.error or claim.numbers)}]</span>"
        )

    def failures(self) -> list[str]:
        """`file:line: claim: why` of every claim that does not hold, in the article's order."""
        return [
            f"{c.source}: claim {c.text!r} {'cannot be checked' if c.error else 'does not hold'}: "
            f"{c.error or c.numbers}"
            for c in self.claims
            if not c.holds
        ]


RECORD = Path(site_layout.CLAIMS)  # under site/: every claim of the page and whether it held


def record(claims: Claims, site: Path) -> None:
    """site/data/claims.json: what `make article STRICT=1` checks when the page itself is up to date."""
    entries = [
        {"source": c.source, "claim": c.text, "holds": c.holds, "numbers": c.error or c.numbers}
        for c in claims.claims
    ]
    write_if_changed(site / RECORD, json.dumps({"claims": entries}, indent=1) + "\n")


def report(claims: Claims, strict: bool) -> None:
    """Prints every failing claim; in strict mode they stop the render."""
    failures = claims.failures()
    for line in failures:
        print(f"warning: {line}")
    if strict and failures:
        raise RenderError(
            f"{len(failures)} claim(s) not supported by this build (strict mode):\n" + "\n".join(failures)
        )


def main() -> None:
    """`python -m build.render.claims SITE`: the failing claims of a rendered site, exit status 1 if any."""
    site = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("site")
    try:
        entries = json.loads((site / RECORD).read_text())["claims"]
    except (OSError, ValueError, KeyError) as error:
        sys.exit(f"error: {site / RECORD}: no record of the page's claims ({error}); run make article")
    failing = [e for e in entries if not e["holds"]]
    for entry in failing:
        print(f"{entry['source']}: claim {entry['claim']!r} does not hold: {entry['numbers']}")
    print(f"{site / RECORD}: {len(entries) - len(failing)} of {len(entries)} claims hold")
    sys.exit(1 if failing else 0)


if __name__ == "__main__":
    main()
