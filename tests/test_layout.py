"""The project's shape: which `build` package imports, and what the README promises."""

from __future__ import annotations

import re

import build
from build import profiles


def test_build_is_this_projects_package_not_pypas_tool() -> None:
    assert getattr(build, "MEMORIZATION_BUILD", False)
    assert build.__file__.startswith(str(profiles.ROOT / "build"))


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (profiles.ROOT / "README.md").read_text()
    assert re.search(r"^\s*make article\s*$", readme, re.M)
    assert re.search(r"^\s*make test\s*$", readme, re.M)
    ci = (profiles.ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, re.M)


def test_every_profile_model_names_an_existing_unit() -> None:
    for profile in profiles.PROFILES.values():
        for config in profile.models:
            assert (profiles.ROOT / "build" / "units" / f"{config.unit}.py").exists()
        assert len({m.key for m in profile.models}) == len(profile.models)
