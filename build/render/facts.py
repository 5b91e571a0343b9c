"""The run's numbers that claims (build/render/claims.py) test: each model's measures, in every training
seed, read from the render context, as values with their intervals."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

LETTER_GROUPS = ("0", "1", "2", "3", "4", "5+")
DISTANCE_MEASURES = ("effective_context", "reach90")  # distances in characters, not fractions


def _formatted(measure: str, value: float) -> str:
    """A measure's value as a failing claim shows it: a step, a percentage, a distance or a cross entropy."""
    if measure.endswith("_half_step"):
        return f"step {value:.0f}"
    if measure.startswith(("share", "skill_share", "accuracy", "top", "rise")):
        return f"{value:.1%}"
    if measure in DISTANCE_MEASURES:
        return "the whole observation" if math.isinf(value) else f"{value:g}"
    return f"{value:.4f}"


def _distance(value: int | None) -> float:
    """A distance of test.truncated: None (only the whole observation) is further than any."""
    return math.inf if value is None else float(value)


@dataclass(frozen=True)
class Value:
    """A measured number with its 95% interval where the measurement has one."""

    mean: float
    low: float | None = None
    high: float | None = None

    def text(self, measure: str) -> str:
        mean = _formatted(measure, self.mean)
        if self.low is None or self.high is None:
            return mean
        return f"{mean} [{_formatted(measure, self.low)}, {_formatted(measure, self.high)}]"


def share_at(points: list[dict], cross_entropy: float, part: str = "mean") -> float | None:
    """The share at 0 letters (`part`: its mean, or the low or high end of its interval) where a model's
    curve (during_training, by step) first reaches `cross_entropy`, interpolated linearly between the two
    measured steps around it (None if it never does, or the point lacks `part`): comparing models there
    compares them at equal skill rather than at equal steps."""
    curve = [(p["valid_cross_entropy"], p["share_before_word_0"].get(part)) for p in points]
    for (ce0, share0), (ce1, share1) in zip(curve, curve[1:], strict=False):
        if ce0 >= cross_entropy >= ce1 and share0 is not None and share1 is not None:
            weight = 0.0 if ce0 == ce1 else (ce0 - cross_entropy) / (ce0 - ce1)
            return share0 + weight * (share1 - share0)
    if curve and curve[0][0] <= cross_entropy:
        return curve[0][1]
    return None


def common_cross_entropy(curves: list[list[dict]]) -> float:
    """The validation cross entropy every model reaches: the highest of their final ones."""
    return max(points[-1]["valid_cross_entropy"] for points in curves)


def half_step(points: list[dict], value: Callable[[dict], float]) -> float:
    """The step by which `value` (of a during_training point) first made half of its change from the
    first kept step to the final model, interpolated between kept steps: when in training it moved."""
    first, last = value(points[0]), value(points[-1])
    middle = (first + last) / 2
    for p0, p1 in zip(points, points[1:], strict=False):
        v0, v1 = value(p0) - middle, value(p1) - middle
        if v0 == 0:
            return float(p0["step"])
        if (v0 > 0) != (v1 > 0) or v1 == 0:
            return p0["step"] + v0 / (v0 - v1) * (p1["step"] - p0["step"])
    return float(points[-1]["step"])


def share_value(point: dict) -> float:
    return point["share_before_word_0"]["mean"]


def cross_entropy_value(point: dict) -> float:
    return point["valid_cross_entropy"]


# measures of when in training a model's share and its cross entropy moved (steps)
HALF_STEPS = {"share_half_step": share_value, "ce_half_step": cross_entropy_value}


class Facts:
    """The run's numbers that claims test, read from the render context (build/render/context.py)."""

    def __init__(self, names: dict) -> None:
        self.models: dict[str, dict] = names.get("models", {})
        self.baseline: dict = names.get("baseline", {})
        self.passage: Callable[[str], dict] = names.get("passage_data", lambda _: {})
        self.vocab: Callable[[], list[str]] = names.get("vocabulary_words", lambda: [])

    def keys(self) -> list[str]:
        return list(self.models)

    def seeds(self) -> list[int]:
        """The training seeds that every model was measured with (results.json models[].seeds), in order;
        empty for a run without them, which is checked on its models' own numbers."""
        lists = [[s["seed"] for s in m.get("seeds", [])] for m in self.models.values()]
        return lists[0] if lists and all(found == lists[0] for found in lists) else []

    def for_seed(self, seed: int) -> Facts:
        """The same facts with every model's test numbers those of training seed `seed`."""
        seeded = Facts({})
        seeded.baseline, seeded.passage, seeded.vocab = self.baseline, self.passage, self.vocab
        seeded.models = {
            key: {
                **m,
                "test": next(s["test"] for s in m["seeds"] if s["seed"] == seed),
                "during_seed": seed,
            }
            for key, m in self.models.items()
        }
        return seeded

    def value(self, measure: str, key: str) -> Value:
        """`measure` of model `key` (or of the baseline)."""
        if key == "baseline":
            source = self.baseline
        elif key in self.models:
            source = self.models[key]["test"]
        else:
            raise ValueError(f"unknown model {key!r}; this run has {', '.join(self.models)} and baseline")
        name, _, letters = measure.partition("@")
        if name == "skill_share" and key != "baseline":
            return self.skill_share(key)
        if name in HALF_STEPS and key != "baseline":
            return Value(half_step(self.during(key), HALF_STEPS[name]))
        if name == "share":
            if letters not in LETTER_GROUPS:
                raise ValueError(f"{measure}: share needs letters read, one of {', '.join(LETTER_GROUPS)}")
            if "context" not in source:
                raise ValueError(f"{measure}: {key} has no lookback measurement")
            found = source["context"]["share_before_word"][letters]
            return Value(found["mean"], found["low"], found["high"])
        if name == "cross_entropy" and not letters:
            return Value(source["cross_entropy"])
        if name in ("rise", *DISTANCE_MEASURES):
            return self.truncated(measure, key, source)
        if name in ("accuracy", "top1", "top2", "top3") and letters.isdigit():
            curve = source["accuracy_by_letters"]["top1" if name == "accuracy" else name]
            if int(letters) >= len(curve):
                raise ValueError(f"{measure}: accuracy is measured up to {len(curve) - 1} letters")
            return Value(curve[int(letters)])
        raise ValueError(
            f"unknown measure {measure!r}; use share@L, skill_share, share_half_step, ce_half_step, "
            "cross_entropy, accuracy@L, top2@L, top3@L, rise@D, effective_context, reach90"
        )

    def during(self, key: str) -> list[dict]:
        """Model `key`'s during_training in the seed these facts are of (the first unless for_seed)."""
        model = self.models[key]
        seed = model.get("during_seed", model["seeds"][0]["seed"] if model.get("seeds") else None)
        for entry in model.get("seeds", []):
            if entry["seed"] == seed and "during_training" in entry:
                return entry["during_training"]
        raise ValueError(f"skill_share: {key} has no during_training (build/during.py writes it)")

    def skill_share(self, key: str) -> Value:
        """The share at 0 letters of model `key` at the validation cross entropy every model reaches, with
        its interval interpolated the same way where the points have one."""
        common = common_cross_entropy([self.during(k) for k in self.models])
        points = self.during(key)
        share = share_at(points, common)
        if share is None:
            raise ValueError(f"skill_share: {key} never reaches the cross entropy {common}")
        return Value(share, share_at(points, common, "low"), share_at(points, common, "high"))

    @staticmethod
    def truncated(measure: str, key: str, source: dict) -> Value:
        """A measure of the context taken away (test.truncated): rise@D, effective_context, reach90."""
        if "truncated" not in source:
            raise ValueError(f"{measure}: {key} has no measurement of its context taken away")
        cut = source["truncated"]
        name, _, distance = measure.partition("@")
        if name == "reach90":
            return Value(_distance(cut["connectivity_90"]))
        if name == "effective_context":
            reach = cut["effective_context"]
            return Value(_distance(reach["mean"]), _distance(reach["low"]), _distance(reach["high"]))
        named = [("all" if d is None else str(d)) for d in cut["distances"]]
        if distance not in named:
            raise ValueError(f"{measure}: rise needs a distance kept, one of {', '.join(named)}")
        at = named.index(distance)
        rise = cut["rise"]
        return Value(rise["mean"][at], rise["low"][at], rise["high"][at])
