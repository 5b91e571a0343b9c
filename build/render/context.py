"""The article's names: everything its Jinja2 expressions can use (article/README.md lists them), read
from the run's results.json, the site's manifest, passage data and the original's published reference.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from build import figure_kinds, profiles, site_layout
from build.render import findings
from build.render.errors import RenderError
from build.render.setting import setting_names
from build.render.skill import skill
from build.render.truncated import truncated
from build.run_files import IDENTITY_DEFAULTS, RESULTS, decode_lower_triangle

# The example passage and its position that the original's passage figure (P1) and ours compare: the
# space before "grammar", where no letter of the word is known yet (`long_term`).
LONG_TERM = ("grammar", 28)


def share_before_word(text: str, row: np.ndarray, index: int) -> float:
    """The fraction of position `index`'s connectivity on characters before its word (its space included)."""
    start = text.rfind(" ", 0, index + 1)
    total = float(row[: index + 1].sum())
    return float(row[:start].sum()) / total if total > 0 else 0.0


def comparison(results: dict, recipe: dict) -> dict:
    """How this run's setting compares with the original's, fact by fact, from the run's own results.

    `same` says, per fact, whether the run matches the original's recipe; `comparable` is true only when
    every one does, which is when the article may set our numbers beside the published ones as one
    experiment. `differences` names the facts that differ, in the article's order.
    """
    models = results["models"]
    training = results["training"]
    evaluation = results.get("evaluation", {})
    same = {
        "corpus": results["corpus"] == recipe["corpus"],
        # a model the original did not have (no layers in its recipe) is sized by its units alone
        "sizes": all(
            m["units"] == recipe["units"] and m["layers"] == recipe["layers"].get(m["key"], m["layers"])
            for m in models
        )
        and training["embedding"] == recipe["embedding"]
        and training["vocab_size"] - 2 == recipe["vocabulary"],
        "training": training["steps"] == recipe["steps"]
        and training["batch_size"] == recipe["batch_size"]
        and training["learning_rate"] == recipe["learning_rate"]
        and training.get("lr_schedule", "constant") == "constant"
        and training.get("clip_norm") is None,
        "init": training.get("init") == recipe["init"],
        "test": evaluation.get("observations") is None,
    }
    epochs = training["steps"] * training["batch_size"] / results["dataset"]["stats"]["train_observations"]
    return {
        "same": same,
        "comparable": all(same.values()),
        "differences": [fact for fact, matches in same.items() if not matches],
        # The original's sizes trained for under a tenth of an epoch (paper-shapes): not trained at all.
        "untrained_paper_sizes": same["sizes"] and epochs < 0.1,
    }


def training_recipe(training: dict) -> dict:
    """The run's training in words, from results.json's `training` (runs made before schedules had a
    constant rate and no clipping): `rate` is the learning rate as it was applied, `recipe` the steps, the
    batch and the rate, `clipping` the clipping clause ("" without)."""
    peak = training["learning_rate"]
    if training.get("lr_schedule", "constant") == "constant":
        rate = f"a learning rate of {peak:g}"
    else:
        warmup = training.get("warmup_steps", 0)
        rise = (
            f"warmed up linearly over {warmup:,} steps to {peak:g}, then"
            if warmup
            else f"starting at {peak:g},"
        )
        rate = f"a learning rate {rise} decayed along a cosine to {training.get('min_learning_rate', 0.0):g}"
    clip = training.get("clip_norm")
    clipping = f"with the gradient's norm clipped at {clip:g}" if clip is not None else ""
    recipe = f"{training['steps']:,} training steps of {training['batch_size']} at {rate}"
    return {"rate": rate, "clipping": clipping, "recipe": f"{recipe}, {clipping}" if clipping else recipe}


def share_at_space(model: dict) -> dict:
    """A model's share before the word at the space before a word (0 letters read): mean, low, high."""
    return model["test"]["context"]["share_before_word"]["0"]


def lookback(model_list: list[dict]) -> dict:
    """How far back the models look over the test split (results.json test.context), as the prose
    quotes it: `rows`, per model from the largest share before the word at the space before a word to
    the smallest, the shares at 0 and at 5 or more letters read and the 1% reach in words; and how the
    measurement was made (observations, positions, resamples, seed, max_distance)."""
    missing = [m["key"] for m in model_list if not m["test"].get("context")]
    if missing:
        raise RenderError(
            f"results.json: no test.context for {', '.join(missing)} (build/lookback.py writes it): "
            "run make article"
        )
    ordered = sorted(model_list, key=lambda m: -(share_at_space(m)["mean"] or 0.0))
    context = model_list[0]["test"]["context"]

    def reach(model: dict, share: float = 0.01) -> str:
        """Where the 0-letter curve first falls below `share` of the row, in words."""
        curve = model["test"]["context"]["by_distance"]["0"]
        distance = next((d for d, v in enumerate(curve) if v is not None and v < share), None)
        if distance is None:
            return f"nowhere within {context['max_distance']} characters"
        return f"{distance} characters back"

    def row(model: dict) -> dict:
        shares = model["test"]["context"]["share_before_word"]
        return {
            "key": model["key"],
            "name": model["name"],
            "at_space": shares["0"],
            "five_letters": shares["5+"],
            "reach": reach(model),
            # the share at 0 letters over the training seeds: mean, min, max (low, high from three seeds)
            "across": model.get("across_seeds", {}).get("share_before_word_0"),
        }

    return {
        "rows": [row(m) for m in ordered],
        "observations": context["observations"],
        "positions": context["positions"],
        "resamples": context["resamples"],
        "seed": context["seed"],
        "max_distance": context["max_distance"],
    }


def training_runs(results: dict) -> dict:
    """How many training runs of each model the page's numbers rest on (results.json models[].seeds;
    runs gathered before seeds trained once, with `training.train_seed`): `count`, the seeds in order
    (`seeds`), the first (`first`, whose weights the figures run), and `whose`, the run whose numbers a
    sentence quotes, in words ("this build's one training run" or "the first training run (seed 1)")."""
    listed = [s["seed"] for s in results["models"][0].get("seeds", [])] if results["models"] else []
    listed = listed or [results["training"].get("train_seed", 1)]
    whose = (
        f"the first training run (seed {listed[0]})" if len(listed) > 1 else "this build's one training run"
    )
    return {"count": len(listed), "seeds": listed, "first": listed[0], "whose": whose}


class PassageData:
    """The precomputed passage files of site/data/passages/, each read once, and the published P1."""

    def __init__(self, site: Path, published: dict) -> None:
        self.site = site
        self.published = published
        self.passages: dict[str, dict] = {}
        self.vocab: list[str] = []

    def passage(self, passage_id: str) -> dict:
        if passage_id not in self.passages:
            path = site_layout.under(self.site, site_layout.passage_file(passage_id))
            if not path.exists():
                raise RenderError(f"share_before_word: no passage {passage_id!r} ({path} missing)")
            self.passages[passage_id] = json.loads(path.read_text())
        return self.passages[passage_id]

    def share_before_word(self, passage_id: str, key: str, index: int) -> float:
        """Our model `key`'s share of position `index`'s connectivity before the current word."""
        data = self.passage(passage_id)
        if key not in data["models"]:
            raise RenderError(f"share_before_word: passage {passage_id!r} has no model {key!r}")
        rows = decode_lower_triangle(data["models"][key]["connectivity"])
        return share_before_word(data["text"], rows[index], index)

    def published_share_before_word(self, key: str, index: int) -> float:
        """The same share for the original's model `key` on its published P1 data."""
        text = self.published["passage"]["text"]
        rows = decode_lower_triangle(self.published["passage"]["models"][key]["connectivity"])
        return share_before_word(text, rows[index], index)

    def words(self) -> list[str]:
        """The run's vocabulary, by word id (site/data/vocab.json)."""
        self.vocab = self.vocab or json.loads(site_layout.under(self.site, site_layout.VOCAB).read_text())
        return self.vocab

    def target(self, passage_id: str, index: int) -> str | None:
        """The word the passage's position `index` belongs to, or None when it is not in the vocabulary
        (the targets are the passage's, whichever models it shows)."""
        word_id = self.passage(passage_id)["targets"][index]
        if word_id < 0:
            return None
        return self.words()[word_id]


def context(profile: profiles.Profile, site: Path, manifest: dict) -> dict:
    """Every name the article's Jinja2 expressions can use (article/README.md lists them)."""
    results = json.loads((profile.run_dir / RESULTS).read_text())
    published = json.loads(site_layout.under(site, figure_kinds.PUBLISHED.url).read_text())
    described = {entry["key"]: entry for entry in manifest["models"]}
    model_list = [{**described.get(m["key"], {}), **m} for m in results["models"]]
    models = {m["key"]: m for m in model_list}
    data = PassageData(site, published)
    compared = [m for m in model_list if m["key"] in published["results"]]
    passage, index = LONG_TERM

    def published_share(key: str) -> float:
        return data.published_share_before_word(key, index)

    original_models = [
        {
            "key": key,
            "name": model["name"],
            "at_no_letter": published["accuracy"][key]["top1"][0],  # published top-1 accuracy, 0 letters
            "long_term_share": published_share(key),  # share before the word at the passage's index 28
            "by_distance": model["distance_agreement"]["mean"],  # rank agreement of distance alone
        }
        for key, model in published["passage"]["models"].items()
    ]
    originals = {o["key"]: o for o in original_models}

    names = {
        "models": models,
        "model_list": model_list,
        "first_model": model_list[0],
        # ours that the original also trained (the only ones set beside its numbers), and the others
        "compared": compared,
        "unpublished": [m for m in model_list if m["key"] not in published["results"]],
        "original_models": original_models,
        "baseline": results["baseline"],
        "dataset": {**results["dataset"]["stats"], **results["dataset"]["recipe"]},
        "training": {**IDENTITY_DEFAULTS, **results["training"], **training_recipe(results["training"])},
        "evaluation": results.get("evaluation", {}),
        "published": published,
        "original": published["recipe"],
        "profile": profile.name,
        "corpus": results["corpus"],
        **comparison(results, published["recipe"]),
        "manifest": manifest,
        "lookback": lookback(model_list),
        "runs": training_runs(results),
        # the context taken away (results.json test.truncated), as the prose quotes it
        "truncated": truncated(model_list, results["dataset"]["stats"]),
        # memory against skill (results.json models[].seeds[].during_training), as the prose quotes it
        "skill": skill(model_list, results.get("evaluation", {})),
        # the models whose connectivity on the example passage is ranked against the published values,
        # each with `original`, the published model of its key
        "agreement_models": [
            {**m, "original": originals[m["key"]]} for m in model_list if "connectivity_vs_published" in m
        ],
        # () -> the models the passage shows, each with its share before the word at the passage's index
        # 28 (`long_term_share`) and `original`, the published model of its key (None for a unit the
        # original did not have); read from the passage file only when the article asks
        "long_term_rows": lambda: [
            {
                **m,
                "long_term_share": data.share_before_word(passage, m["key"], index),
                "original": originals.get(m["key"]),
            }
            for m in model_list
            if m["key"] in data.passage(passage)["models"]
        ],
        "against_baseline": findings.against_baseline(model_list, results["baseline"]),
        "counted_as_original": findings.counted_as_original(compared, published),
        "share_before_word": data.share_before_word,
        "published_share_before_word": data.published_share_before_word,
        "passage_target": data.target,
        # what claims read (build/render/claims.py): a passage's precomputed file, and the vocabulary
        "passage_data": data.passage,
        "vocabulary_words": data.words,
    }
    return {**names, **setting_names(names)}
