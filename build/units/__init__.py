"""Recurrent units: one file per unit, each defining `Unit`, a subclass of `RecurrentUnit`.

The contract every later stage relies on (training, connectivity, ONNX export, figures):
- `step(x, state) -> (h, state)`: one time step of the whole stack, the single source of truth for the
  unit's equations. `x` is [B, input_size], `state` is [B, state_size] (all layers' state vectors,
  flattened), `h` is the top layer's output [B, hidden_size].
- `forward(x, state) -> (h, state)` over a sequence [B, T, input_size]; the default loops `step`, a unit
  may override it with a fast layer that tests prove equal to the loop.
A researcher's new cell is one more file here with a `Unit` class, trained by naming its file on the
command line (`make article MODELS=gru,lstm,mycell`). Optional literals at its top level: NAME (the
label the article shows; default derived from the key), LAYERS (default 2) and OPTIONS (keyword
arguments of `Unit`), read by build/unit_files.py without importing the file. `unit_class` and
`check` turn every way such a file can be wrong (missing, not importable, no `Unit`, wrong shapes) into
one UnitError that names the file, before training writes anything.
"""

from __future__ import annotations

import importlib
import reprlib
import sys
import traceback
from pathlib import Path

import torch
from torch import nn

from build import cpu
from build.profiles import relative_to_root

# Every process that runs a model imports this package: subnormal floats are flushed to zero in all of
# them (build/cpu.py says why), before any unit computes anything.
cpu.flush_denormal()

CHECK_INPUT_SIZE = 3  # features of the made-up input `check` feeds a unit (any width would do)
CHECK_BATCH, CHECK_STEPS = 2, 3


class RecurrentUnit(nn.Module):
    """A stack of `layers` recurrent layers of `hidden_size` units reading `input_size` features."""

    #: state vectors of width hidden_size that each layer carries (GRU 1: h; LSTM 2: h, c)
    states_per_layer: int = 1

    def __init__(self, input_size: int, hidden_size: int, layers: int = 1) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.layers = input_size, hidden_size, layers

    @property
    def state_size(self) -> int:
        return self.layers * self.states_per_layer * self.hidden_size

    def initial_state(self, batch: int, like: torch.Tensor | None = None) -> torch.Tensor:
        device = like.device if like is not None else None
        dtype = like.dtype if like is not None else None
        return torch.zeros(batch, self.state_size, device=device, dtype=dtype)

    def layer_states(self, state: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
        """[B, state_size] -> per layer, its `states_per_layer` tensors [B, H] (views, no copy)."""
        parts = state.split(self.hidden_size, dim=-1)
        n = self.states_per_layer
        return [tuple(parts[i * n : (i + 1) * n]) for i in range(self.layers)]

    @staticmethod
    def join_states(states: list[tuple[torch.Tensor, ...]]) -> torch.Tensor:
        return torch.cat([s for layer in states for s in layer], dim=-1)

    def step(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def forward(
        self, x: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The reference sequence loop over `step`; fast units override it."""
        if state is None:
            state = self.initial_state(x.shape[0], x)
        outputs = []
        for t in range(x.shape[1]):
            h, state = self.step(x[:, t], state)
            outputs.append(h)
        return torch.stack(outputs, dim=1), state


class UnitError(ValueError):
    """A unit file that cannot be used; the message, one line, names the file and what is wrong with it."""


def _one_line(error: BaseException) -> str:
    """`Type: message` of an exception on one line, so a stage can report it as a one-line error."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _folders() -> list[Path]:
    """Where `build.units.<name>` imports from: this package's __path__ (tests add a temporary folder)."""
    return [Path(folder) for folder in sys.modules[__name__].__path__]


def available() -> list[str]:
    """Names of the unit files there are, for messages that say what could have been meant."""
    names = {path.stem for folder in _folders() for path in folder.glob("*.py")}
    return sorted(name for name in names if not name.startswith("_"))


def located(name: str) -> Path | None:
    """The absolute path `build.units.<name>` imports from: its first match on the package's path."""
    for folder in _folders():
        path = folder / f"{name}.py"
        if path.is_file():
            return path.resolve()
    return None


def unit_file(name: str) -> Path:
    """The file of unit `name` as messages show it (relative to the repository when inside it); where it
    belongs, build/units/<name>.py, when there is none."""
    path = located(name)
    return relative_to_root(path) if path else Path("build") / "units" / f"{name}.py"


def _line_in(error: BaseException, name: str) -> str:
    """' at line N' of the innermost frame of `error` inside unit `name`'s file, or '' when none is."""
    path = located(name)
    lines = [
        frame.lineno
        for frame in traceback.extract_tb(error.__traceback__)
        if Path(frame.filename).resolve() == path
    ]
    return f" at line {lines[-1]}" if lines else ""


def _describe(value: object) -> str:
    if isinstance(value, type):
        bases = ", ".join(
            base.__qualname__ if base.__module__ == "builtins" else f"{base.__module__}.{base.__qualname__}"
            for base in value.__bases__
        )
        return f"a class derived from {bases}, not from build.units.RecurrentUnit"
    return f"{type(value).__name__} {reprlib.repr(value)}, not a class"


def unit_class(name: str) -> type[RecurrentUnit]:
    """The `Unit` class of build/units/<name>.py; UnitError naming the file when there is none to use."""
    if not name.isidentifier():
        raise UnitError(
            f"unknown recurrent unit {name!r}: a unit is a file build/units/<name>.py, <name> a Python "
            f"identifier (the units are {', '.join(available())})"
        )
    file = unit_file(name)
    if located(name) is None:
        raise UnitError(
            f"unknown recurrent unit {name!r}: no file {file} (the units are {', '.join(available())})"
        )
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except SyntaxError as error:  # IndentationError and TabError too
        inside = error.filename and Path(error.filename).resolve() == located(name)
        where = f"line {error.lineno}" if inside else f"line {error.lineno} of {error.filename}"
        raise UnitError(f"{file}: {type(error).__name__} at {where}: {error.msg}") from error
    except Exception as error:
        raise UnitError(f"{file}: importing it raised {_one_line(error)}{_line_in(error, name)}") from error
    unit = getattr(module, "Unit", None)
    wanted = f"{file} must define `Unit`, a subclass of RecurrentUnit"
    if unit is None:
        raise UnitError(f"{wanted}; it defines no `Unit`")
    if not (isinstance(unit, type) and issubclass(unit, RecurrentUnit)):
        raise UnitError(f"{wanted}; its `Unit` is {_describe(unit)}")
    return unit


def make_unit(name: str, input_size: int, hidden_size: int, layers: int, options: dict) -> RecurrentUnit:
    """Unit(input_size, hidden_size, layers, **options) of build/units/<name>.py, the one way every stage
    builds a unit, so that a constructor that refuses its arguments is a UnitError naming the file."""
    unit = unit_class(name)
    try:
        return unit(input_size, hidden_size, layers, **options)
    except Exception as error:
        call = ", ".join(
            [str(input_size), str(hidden_size), str(layers), *(f"{k}={v!r}" for k, v in options.items())]
        )
        raise UnitError(
            f"{unit_file(name)}: Unit({call}) raised {_one_line(error)}{_line_in(error, name)}"
        ) from error


def _shape(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"[{', '.join(str(n) for n in value.shape)}]"
    return f"a {type(value).__name__}, not a tensor"


def _pair(result: object, file: Path, call: str, expected: tuple[list[int], list[int]], names: str) -> None:
    """UnitError unless `result` is a pair of tensors of the `expected` shapes."""
    if not (isinstance(result, tuple | list) and len(result) == 2):
        got = f"a {type(result).__name__}" + (
            f" of {len(result)}" if isinstance(result, tuple | list) else ""
        )
        raise UnitError(f"{file}: {call} must return a pair ({names}); it returned {got}")
    for what, value, shape in zip(names.split(", "), result, expected, strict=True):
        wanted = f"[{', '.join(str(n) for n in shape)}]"
        if not isinstance(value, torch.Tensor) or list(value.shape) != shape:
            raise UnitError(f"{file}: {call} returned {what} of shape {_shape(value)}; expected {wanted}")


def check(name: str, hidden: int, layers: int, options: dict) -> None:
    """Build unit `name` as a model would and run it once on made-up data, so that a unit that breaks the
    contract (see the top of this file) stops the build with a UnitError naming its file, before training
    writes anything. Runs on the CPU without gradients, leaving the global random state as it was."""
    file = unit_file(name)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(0)
        unit = make_unit(name, CHECK_INPUT_SIZE, hidden, layers, options)
        try:
            size = unit.state_size
        except Exception as error:
            raise UnitError(
                f"{file}: its state_size raised {_one_line(error)}{_line_in(error, name)}"
            ) from error
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0 or size % hidden:
            raise UnitError(
                f"{file}: state_size is {size!r}; it must be a positive multiple of hidden size {hidden}"
            )
        if type(unit).state_size is RecurrentUnit.state_size:
            per_layer = unit.states_per_layer
            if size != per_layer * layers * hidden:
                raise UnitError(
                    f"{file}: state_size is {size}, but states_per_layer * layers * hidden = {per_layer} * "
                    f"{layers} * {hidden} = {per_layer * layers * hidden} (does Unit.__init__ pass its "
                    "sizes to RecurrentUnit.__init__?)"
                )
        x = torch.randn(CHECK_BATCH, CHECK_INPUT_SIZE)
        state = torch.randn(CHECK_BATCH, size)
        call = f"step(x [{CHECK_BATCH}, {CHECK_INPUT_SIZE}], state [{CHECK_BATCH}, {size}])"
        try:
            result = unit.step(x, state)
        except Exception as error:
            raise UnitError(f"{file}: {call} raised {_one_line(error)}{_line_in(error, name)}") from error
        _pair(result, file, call, ([CHECK_BATCH, hidden], [CHECK_BATCH, size]), "h, state")
        sequence = torch.randn(CHECK_BATCH, CHECK_STEPS, CHECK_INPUT_SIZE)
        expected = ([CHECK_BATCH, CHECK_STEPS, hidden], [CHECK_BATCH, size])
        for start, given in (("", None), (f", state [{CHECK_BATCH}, {size}]", state)):
            call = f"forward(x [{CHECK_BATCH}, {CHECK_STEPS}, {CHECK_INPUT_SIZE}]{start})"
            try:
                result = unit(sequence, given)
            except Exception as error:
                raise UnitError(f"{file}: {call} raised {_one_line(error)}{_line_in(error, name)}") from error
            _pair(result, file, call, expected, "outputs, state")
