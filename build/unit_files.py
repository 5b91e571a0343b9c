"""What a unit file of build/units/ says about itself (NAME, LAYERS, OPTIONS), read from its source
without importing it: Make plans a run with the standard library alone, before torch is installed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNITS_DIR = ROOT / "build" / "units"


def relative_to_root(path: Path) -> Path:
    """`path` relative to the repository when inside it (short, stable names in messages and files)."""
    path = Path(path).resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


class UnitFileError(SystemExit):
    """A unit file that does not say its settings plainly (read before the virtual environment exists)."""


def unit_path(key: str) -> Path:
    return UNITS_DIR / f"{key}.py"


def unit_settings(key: str) -> dict:
    """NAME, LAYERS and OPTIONS of build/units/<key>.py, read from its source (literal assignments at
    the top level) without importing it: Make plans with the standard library only."""
    path = unit_path(key)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except FileNotFoundError:
        known = sorted(p.stem for p in UNITS_DIR.glob("*.py") if p.stem != "__init__")
        raise UnitFileError(
            f"unknown model {key!r}: no unit file {relative_to_root(path)} (units: {', '.join(known)})"
        ) from None
    except SyntaxError as error:
        raise UnitFileError(f"{relative_to_root(path)}:{error.lineno}: syntax error: {error.msg}") from None
    found: dict = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in ("NAME", "LAYERS", "OPTIONS"):
                try:
                    found[name] = ast.literal_eval(node.value)
                except ValueError:
                    raise UnitFileError(
                        f"{relative_to_root(path)}:{node.lineno}: {name} must be a plain literal"
                    ) from None
    checks = {"NAME": (str, "a string"), "LAYERS": (int, "a positive integer"), "OPTIONS": (dict, "a dict")}
    for name, (kind, what) in checks.items():
        value = found.get(name)
        if value is not None and (not isinstance(value, kind) or (kind is int and value < 1)):
            raise UnitFileError(f"{relative_to_root(path)}: {name} = {value!r} must be {what}")
    return found


def default_name(key: str) -> str:
    """The label of a unit file that gives no NAME: short keys are acronyms (mgu -> MGU)."""
    if len(key) <= 4 and key.isalnum():
        return key.upper()
    return " ".join(w.capitalize() for w in re.split(r"[_\-]+", key) if w)
