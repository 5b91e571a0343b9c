"""Where the page comes from, for its byline, meta tags, citation and reproduce box: the edition's
identity (authors and repository, from pyproject.toml's project metadata), the commit's date, the
repository's web address (else from the git remote) and GitHub Pages address, the authors as citation
tags, and the commands that rebuild the page."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from build import make_plan, profiles

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# The [project.urls] labels that name the edition's own repository, in the order they are tried.
REPOSITORY_LABELS = ("Repository", "Source", "Source code")


@dataclass(frozen=True)
class Edition:
    """Who made this edition and where its code lives: pyproject.toml's `authors` and `[project.urls]`
    are the one place a fork sets them; the repository falls back to the checkout's git remote."""

    authors: tuple[str, ...]
    repository: str | None


def edition(root: Path = profiles.ROOT) -> Edition:
    """The edition's identity from `root`/pyproject.toml (a missing or unreadable file is an error that
    names it: the page would otherwise credit nobody)."""
    path = root / "pyproject.toml"
    try:
        project = tomllib.loads(path.read_text())["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path}: cannot read the [project] table ({error})") from error
    authors = tuple(a["name"] for a in project.get("authors", []) if isinstance(a, dict) and a.get("name"))
    urls = project.get("urls", {})
    repository = next((urls[label] for label in REPOSITORY_LABELS if urls.get(label)), None)
    return Edition(authors=authors, repository=repository or repository_url(root))


def commit_date() -> str:
    """The date of the commit the site is built from (not today's: the same inputs give the same page)."""
    return _git(profiles.ROOT, "log", "-1", "--format=%cs") or "unknown"


def _git(root: Path, *arguments: str) -> str | None:
    try:
        done = subprocess.run(["git", *arguments], capture_output=True, text=True, check=True, cwd=root)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip() or None


_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[\w.-]+):(?P<path>[^/].*)$")  # git@github.com:owner/repo.git


def web_url(remote: str) -> str | None:
    """The web address of a git remote URL (https, ssh, git or scp-like `git@host:owner/repo.git`), with
    any user name or token and the `.git` left out; None for a local path."""
    remote = remote.strip()
    parts = urlsplit(remote)
    if parts.scheme in ("http", "https", "ssh", "git", "git+ssh") and parts.hostname:
        host, path = parts.hostname, parts.path
        if parts.scheme in ("http", "https") and parts.port:
            host += f":{parts.port}"
        scheme = "http" if parts.scheme == "http" else "https"
    elif "://" not in remote and (match := _SCP_LIKE.match(remote)):
        host, path, scheme = match["host"], match["path"], "https"
    else:
        return None
    path = path.strip("/").removesuffix(".git")
    return f"{scheme}://{host}/{path}" if path else None


def repository_url(root: Path = profiles.ROOT) -> str | None:
    """The web address of the checkout's repository: its `origin` remote, else its first remote."""
    names = (_git(root, "remote") or "").split()
    if not names:
        return None
    remote = _git(root, "remote", "get-url", "origin" if "origin" in names else names[0])
    return web_url(remote) if remote else None


def pages_url(repository: str | None) -> str | None:
    """Where GitHub Pages serves a github.com repository's site (what `make deploy` and the deploy
    workflow publish to); None for other hosts, whose address the article's `URL:` gives."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", repository or "")
    if not match:
        return None
    owner, name = match.groups()
    if name.lower() == f"{owner.lower()}.github.io":
        return f"https://{owner.lower()}.github.io/"
    return f"https://{owner.lower()}.github.io/{name}/"


def citation_authors(authors: str) -> list[str]:
    """The names of an `Authors:` line ("A (role); B"): one per `;`, roles in parentheses left out."""
    names = (re.sub(r"\([^)]*\)", "", part).strip() for part in authors.split(";"))
    return [name for name in names if name]


def reproduce_commands(profile: profiles.Profile, repository: str | None, commit: str | None) -> list[str]:
    """The shell commands that rebuild this page from scratch: clone (when the repository is known; else
    they run in a clone), check out the commit, make."""
    commands = [f"git clone {repository} memorization-rnns", "cd memorization-rnns"] if repository else []
    if commit:
        commands.append(f"git checkout {commit.removesuffix('-dirty')}")
    make = " ".join(["make article", f"PROFILE={profile.name}", *make_plan.make_variables(profile)])
    return [*commands, make]
