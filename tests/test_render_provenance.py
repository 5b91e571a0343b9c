"""Where the page comes from: the repository's web and Pages addresses, authors, reproduce commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from build import profiles
from build.render import provenance


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("git@github.com:someone/memorization-rnns.git", "https://github.com/someone/memorization-rnns"),
        ("https://github.com/someone/memorization-rnns.git", "https://github.com/someone/memorization-rnns"),
        ("https://user:token@gitlab.example.org:8443/a/b/c.git/", "https://gitlab.example.org:8443/a/b/c"),
        ("ssh://git@codeberg.org:22/someone/repo.git", "https://codeberg.org/someone/repo"),
        ("http://git.internal/repo", "http://git.internal/repo"),
        ("/srv/git/repo.git", None),
        ("file:///srv/git/repo.git", None),
        ("../repo", None),
    ],
)
def test_remote_urls_become_web_addresses_without_credentials(remote: str, url: str | None) -> None:
    assert provenance.web_url(remote) == url


def test_the_repository_defaults_to_the_git_remote(tmp_path: Path) -> None:
    def git(*arguments: str) -> None:
        provenance.subprocess.run(["git", *arguments], cwd=tmp_path, check=True, capture_output=True)

    assert provenance.repository_url(tmp_path) is None  # not a git checkout
    git("init", "-q")
    assert provenance.repository_url(tmp_path) is None  # no remote
    git("remote", "add", "upstream", "git@github.com:someone/first.git")
    assert provenance.repository_url(tmp_path) == "https://github.com/someone/first"
    git("remote", "add", "origin", "https://x:secret@github.com/Someone/memorization-rnns.git")
    repository = provenance.repository_url(tmp_path)
    assert repository == "https://github.com/Someone/memorization-rnns"  # origin wins; no token
    assert provenance.pages_url(repository) == "https://someone.github.io/memorization-rnns/"
    assert (
        provenance.pages_url("https://github.com/someone/Someone.github.io") == "https://someone.github.io/"
    )
    assert provenance.pages_url("https://gitlab.com/someone/repo") is None
    assert provenance.pages_url(None) is None


def test_citation_authors_and_reproduce_commands() -> None:
    authors = "Andreas Madsen (original article); Ada Lovelace ; (nobody)"
    assert provenance.citation_authors(authors) == ["Andreas Madsen", "Ada Lovelace"]
    tiny = profiles.load("tiny")
    assert provenance.reproduce_commands(tiny, "https://github.com/a/b", "0123abc-dirty") == [
        "git clone https://github.com/a/b memorization-rnns",
        "cd memorization-rnns",
        "git checkout 0123abc",
        "make article PROFILE=tiny",
    ]
    paper_on_brown = profiles.load("paper", "brown")
    commands = provenance.reproduce_commands(paper_on_brown, None, None)
    assert commands == ["make article PROFILE=paper CORPUS=brown"]  # no clone of an unknown address
    study = profiles.load("tiny", models="gru,rnn", steps="8", lr="0.01")
    assert provenance.reproduce_commands(study, None, None)[-1] == (
        "make article PROFILE=tiny MODELS=gru,rnn STEPS=8 LR=0.01"
    )


def test_the_editions_identity_comes_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n'
        'authors = [{ name = "Ada Lovelace" }, { email = "a@b.c" }, { name = "Alan Turing" }]\n'
        '[project.urls]\n"Original code" = "https://example.org/original"\n'
        'Repository = "https://github.com/ada/memorization"\n'
    )
    assert provenance.edition(tmp_path) == provenance.Edition(
        authors=("Ada Lovelace", "Alan Turing"), repository="https://github.com/ada/memorization"
    )
    # without a Repository URL, the checkout's git remote; without either, none
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert provenance.edition(tmp_path) == provenance.Edition(authors=(), repository=None)
    provenance.subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    provenance.subprocess.run(
        ["git", "remote", "add", "origin", "git@github.com:fork/memorization.git"], cwd=tmp_path, check=True
    )
    assert provenance.edition(tmp_path).repository == "https://github.com/fork/memorization"
    (tmp_path / "pyproject.toml").write_text("[project\n")
    with pytest.raises(ValueError, match="pyproject.toml: cannot read the \\[project\\] table"):
        provenance.edition(tmp_path)


def test_this_checkouts_pyproject_names_the_editions_authors() -> None:
    assert provenance.edition().authors  # the byline and the BibTeX entry credit someone
