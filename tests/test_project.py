"""The project's metadata as packaging tools, citation tools and GitHub read it: licence, pins, citation.

The package metadata is read as installed (what pyproject.toml became), which works on Python 3.10 too.
"""

from __future__ import annotations

import re
from importlib import metadata

import yaml
from packaging.requirements import Requirement

from build import profiles

ROOT = profiles.ROOT
PROJECT = "memorization-rnns"


def build_backend() -> Requirement:
    found = re.search(r'^requires = \["([^"]+)"\]', (ROOT / "pyproject.toml").read_text(), re.M)
    assert found, "pyproject.toml: [build-system] requires is not one quoted requirement"
    return Requirement(found[1])


def pins() -> dict[str, str]:
    """constraints.txt as {normalised name: version}; fails on any line that is not `name==version`."""
    found = {}
    for number, line in enumerate((ROOT / "constraints.txt").read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;+]+)", line)
        assert match, f"constraints.txt:{number}: {line!r} is not name==version"
        found[canonical(match[1])] = match[2]
    return found


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_licence_is_mit_in_spdx_form_and_keeps_the_originals_notice() -> None:
    described = metadata.metadata(PROJECT)
    assert described["License-Expression"] == "MIT" and described.get("License") is None
    files = described.get_all("License-File")
    assert "LICENSE" in files and "article/reference/LICENSE-original.md" in files
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "article/reference/LICENSE-original.md" in licence
    assert "nearForm" in (ROOT / "article/reference/LICENSE-original.md").read_text()
    # PEP 639's string form needs hatchling 1.27 or newer
    backend = build_backend()
    assert backend.name == "hatchling" and not backend.specifier.contains("1.26")
    assert "contributors" in described["Author"]
    assert any("distill.00016" in url for url in described.get_all("Project-URL"))


def test_every_dependency_is_pinned_and_the_install_follows_the_pins() -> None:
    pinned = pins()
    wanted = [Requirement(text) for text in metadata.requires(PROJECT)]
    assert any(r.name == "pytest" for r in wanted)  # the dev extra is listed too
    for requirement in [*wanted, build_backend(), Requirement("pip")]:
        name = canonical(requirement.name)
        assert name in pinned, f"constraints.txt does not pin {name}"
        assert requirement.specifier.contains(pinned[name]), f"{name}=={pinned[name]} breaks {requirement}"
    assert pinned["torch"] == "2.13.0"  # no local label: the CPU and the CUDA wheel both satisfy it
    # what this environment runs is what constraints.txt says (torch's +cpu label aside)
    for name, version in pinned.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # pinned for another install (the build backend, other platforms)
        assert installed.split("+")[0] == version, f"{name} {installed} installed, constraints.txt: {version}"


def test_citation_cff_parses_with_the_required_fields() -> None:
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0"
    assert citation["message"].strip() and citation["title"].strip()
    assert citation["authors"] and all("name" in a or "family-names" in a for a in citation["authors"])
    described = metadata.metadata(PROJECT)
    assert citation["version"] == described["Version"]
    assert citation["license"] == described["License-Expression"]
    original = [r for r in citation["references"] if r.get("doi") == "10.23915/distill.00016"]
    assert original and original[0]["authors"][0]["family-names"] == "Madsen"
