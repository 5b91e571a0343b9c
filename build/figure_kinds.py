"""The figure kinds of the page, in one registry: what each kind reads, who writes it, how it is drawn.

A kind is a `FigureKind`: its name (what a ```figure KIND block names, and its script
js/figures/<name>.js), the site data files its script reads (each with the function of the precompute
stage that writes it), the function that draws its snapshot for readers without JavaScript, and whether
it runs the models live in the browser. Everything else derives from this list: the kinds a ```figure
block may name (FIGURE_KINDS), the live ones (LIVE_KINDS), the data files precompute writes, the
snapshot each figure gets. A new kind is one entry here plus its script.

Functions are named as "module:function" strings and imported only when called, so this module stays
torch-free (the render imports it) and no stage imports a later one through it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from build import site_layout


class UnknownFigureKind(ValueError):
    """A figure names a kind that is not in the registry (the message names it, and where)."""


@dataclass(frozen=True)
class DataFile:
    """A file under site/data/ that figures read: its name there and the precompute function that
    returns its JSON value from the profile ("module:function"; None: precompute's passage stage)."""

    name: str
    writer: str | None

    @property
    def url(self) -> str:
        return site_layout.data_file(self.name)


@dataclass(frozen=True)
class FigureKind:
    """One kind of figure. `snapshot` is "module:function", called as function(figure, inputs) with a
    build.render.snapshots.Inputs; None draws the generic snapshot (the caption, and that the figure
    needs JavaScript). `block`: whether a ```figure block may name it (passages have their own block)."""

    name: str
    data: tuple[DataFile, ...] = ()
    snapshot: str | None = None
    live: bool = False
    block: bool = True
    describe: str = ""  # what the figure shows, in a few words (its snapshot's alt text starts with it)

    @property
    def script(self) -> str:
        """The kind's script in the site (js/figures/<name>.js, from article/static/js/figures/)."""
        return site_layout.figure_script(self.name)

    def source(self, options: dict[str, str]) -> str | None:
        """The data file a figure of this kind reads first (its data-src), given the figure's options:
        its passage's file for a kind that reads passages, none for one that reads only the vocabulary."""
        first = self.data[0] if self.data else None
        if first is None or first is VOCAB:
            return None
        if first is PASSAGES:
            return site_layout.passage_file(options.get("passage", DEFAULT_PASSAGE))
        return first.url


RESULTS = DataFile("results.json", "build.figure_data:results_file")
CURVES = DataFile("curves.json", "build.figure_data:curves_file")
PUBLISHED = DataFile("published.json", "build.figure_data:published_file")
VANISHING = DataFile("vanishing.json", "build.figure_data:vanishing_file")
PASSAGES = DataFile("passages", None)  # data/passages/<id>.json, one per passage block
VOCAB = DataFile("vocab.json", None)
DEFAULT_PASSAGE = "grammar"  # the passage a hero shows without a passage= option (hero.js agrees)

SNAPSHOTS = "build.render.snapshots"

KINDS: dict[str, FigureKind] = {
    kind.name: kind
    for kind in (
        FigureKind(
            "hero",
            (PASSAGES, VOCAB),
            f"{SNAPSHOTS}:hero_snapshot",
            describe="Connectivity over the opening of a passage",
        ),
        FigureKind(
            "vanishing",
            (VANISHING,),
            f"{SNAPSHOTS}:vanishing_snapshot",
            describe="How much of the gradient reaches earlier inputs of a vanilla RNN",
        ),
        FigureKind(
            "units",
            (),
            "build.render.unit_snapshots:units_snapshot",
            describe="Diagrams of the recurrent units",
        ),
        FigureKind(
            "autocomplete",
            (VOCAB,),
            f"{SNAPSHOTS}:autocomplete_snapshot",
            live=True,
            describe="Live autocomplete suggestions",
        ),
        FigureKind(
            "accuracy",
            (RESULTS, PUBLISHED),
            f"{SNAPSHOTS}:accuracy_snapshot",
            describe="Accuracy by letters of the word already seen",
        ),
        FigureKind(
            "curves",
            (CURVES, PUBLISHED),
            f"{SNAPSHOTS}:curves_snapshot",
            describe="Training curves",
        ),
        FigureKind(
            "owntext",
            (VOCAB,),
            f"{SNAPSHOTS}:owntext_snapshot",
            live=True,
            describe="Live connectivity of a text of your own",
        ),
        FigureKind(
            "lookback",
            (RESULTS,),
            f"{SNAPSHOTS}:lookback_snapshot",
            describe="How far back each model looks over the test set",
        ),
        FigureKind(
            "truncated",
            (RESULTS,),
            "build.render.truncated:truncated_snapshot",
            describe="How much the cross entropy of each model rises when its context is cut short",
        ),
        FigureKind(
            "skill",
            (RESULTS,),
            "build.render.skill:skill_snapshot",
            describe="The share of connectivity before the word against the validation cross entropy",
        ),
        FigureKind(
            "passage",
            (PASSAGES, VOCAB, PUBLISHED),
            f"{SNAPSHOTS}:passage_snapshot",
            block=False,
            describe="Connectivity over a passage",
        ),
    )
}


def figure_kinds() -> tuple[str, ...]:
    """The kinds a ```figure block may name, in the registry's order."""
    return tuple(name for name, kind in KINDS.items() if kind.block)


def live_kinds() -> tuple[str, ...]:
    """The kinds that run the models in the reader's browser."""
    return tuple(name for name, kind in KINDS.items() if kind.live)


FIGURE_KINDS = figure_kinds()
LIVE_KINDS = live_kinds()


def kind(name: str, source: str | None = None, block: bool = False) -> FigureKind:
    """The registry's entry for `name`; an unknown name is an error that names it (and `source`, the
    file:line of the block that named it, when known) and the kinds there are. `block`: only the kinds
    a ```figure block may name count (a passage has a block of its own)."""
    found = KINDS.get(name)
    if found is None or (block and not found.block):
        where = f"{source}: " if source else ""
        known = ", ".join(figure_kinds())
        raise UnknownFigureKind(f"{where}figure kind {name!r} is not one of {known}")
    return found


def data_files() -> tuple[DataFile, ...]:
    """Every data file some kind reads that precompute writes with a writer, each once, in registry order."""
    seen: dict[str, DataFile] = {}
    for entry in KINDS.values():
        for data in entry.data:
            if data.writer is not None:
                seen.setdefault(data.name, data)
    return tuple(seen.values())


def resolve(reference: str) -> Callable[..., Any]:
    """The function a "module:function" string names, imported now."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)
