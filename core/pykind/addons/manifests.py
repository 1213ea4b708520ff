"""Pinned manifests: fetched over HTTPS, checked against a sha256, kept in a local cache.

A manifest is identified by its checksum, so the cache is content-addressed
(``~/.cache/pykind/manifests/<sha256>.yaml``; ``XDG_CACHE_HOME`` and ``PYKIND_CACHE_DIR`` are
honoured). A local file (the ``manifest=PATH`` option) replaces the download for offline use.
A checksum mismatch is always an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pykind.errors import AddonError, ConfigError

#: Downloads ``url`` and returns its bytes (replaceable in tests and by embedders).
Fetcher = Callable[[str], bytes]

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
FETCH_TIMEOUT = 60.0
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


def normalise_sha256(value: str) -> str:
    """Lower-case hex; a ``sha256:`` prefix is accepted. Raises ValueError when malformed."""
    text = value.strip().lower()
    text = text.removeprefix("sha256:")
    if not _SHA_RE.match(text):
        raise ValueError("expected a sha256 checksum: 64 hexadecimal characters")
    return text


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_cache_dir() -> Path:
    """Where fetched manifests are kept."""
    root = os.environ.get("PYKIND_CACHE_DIR")
    if root:
        return Path(root) / "manifests"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "pykind" / "manifests"


def fetch_https(url: str, *, timeout: float = FETCH_TIMEOUT) -> bytes:
    """GET ``url`` (HTTPS only) and return the body; errors name the URL."""
    if urllib.parse.urlsplit(url).scheme != "https":
        raise AddonError(f"refusing to fetch {url!r}: only https:// URLs are allowed")
    request = urllib.request.Request(url, headers={"User-Agent": "pykind"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: bytes = response.read(MAX_MANIFEST_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise AddonError(f"cannot fetch {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AddonError(
            f"cannot fetch {url}: {reason}; for offline use pass manifest=PATH (a local copy)"
        ) from None
    if len(data) > MAX_MANIFEST_BYTES:
        raise AddonError(f"cannot fetch {url}: larger than {MAX_MANIFEST_BYTES} bytes")
    return data


@dataclass(frozen=True, slots=True)
class Manifest:
    """A manifest's bytes and where they came from (``url``, ``cache`` or ``file``)."""

    data: bytes
    sha256: str
    origin: str
    location: str

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


def _mismatch(what: str, expected: str, actual: str) -> AddonError:
    return AddonError(f"checksum mismatch for {what}: expected sha256 {expected}, got {actual}")


def _write_cache(path: Path, data: bytes) -> None:
    """Best-effort atomic write; a read-only cache only costs a download next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".yaml")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        pass


def resolve_manifest(
    *,
    url: str,
    sha256: str | None,
    path: str | Path | None = None,
    cache_dir: Path | None = None,
    fetch: Fetcher | None = None,
) -> Manifest:
    """The manifest's bytes, verified.

    - ``path`` set: the local file; checked against ``sha256`` when one is given.
    - else: ``sha256`` is required; the cache is used when it holds a file with that checksum,
      otherwise ``url`` is fetched over HTTPS, checked and cached.
    """
    expected = normalise_sha256(sha256) if sha256 else None
    if path is not None:
        p = Path(path).expanduser()
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read manifest file {str(p)!r}: {exc.strerror}") from None
        actual = sha256_hex(data)
        if expected and actual != expected:
            raise _mismatch(f"manifest file {str(p)!r}", expected, actual)
        return Manifest(data=data, sha256=actual, origin="file", location=str(p))
    if expected is None:
        raise AddonError(
            f"no sha256 is pinned for {url}; pass sha256=<checksum of that file> "
            "or manifest=PATH (a local copy)"
        )
    cache = (cache_dir or default_cache_dir()) / f"{expected}.yaml"
    with contextlib.suppress(OSError):
        data = cache.read_bytes()
        if sha256_hex(data) == expected:
            return Manifest(data=data, sha256=expected, origin="cache", location=str(cache))
        cache.unlink()  # corrupt or truncated: fetch again
    data = (fetch or fetch_https)(url)
    actual = sha256_hex(data)
    if actual != expected:
        raise _mismatch(url, expected, actual)
    _write_cache(cache, data)
    return Manifest(data=data, sha256=actual, origin="url", location=url)
