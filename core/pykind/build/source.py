"""Where a node image build gets Kubernetes from: a ``kubernetes-server-linux-<arch>.tar.gz``.

``--type file``: a local tarball. ``--type url``: an HTTPS URL, downloaded once into a cache.
``--type release``: a version such as ``v1.36.1``, fetched from the Kubernetes release
download site. Building from a source checkout (``--type source``) is not supported.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from pykind.errors import ConfigError, PykindError
from pykind.status import NULL_STATUS, Status

BUILD_TYPES = ("file", "url", "release")
#: Release downloads (the Kubernetes download site, not a container registry).
RELEASE_URL = "https://dl.k8s.io/{version}/kubernetes-server-linux-{arch}.tar.gz"
DOWNLOAD_TIMEOUT_S = 60.0
_VERSION_RE = re.compile(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")


class DownloadError(PykindError):
    """A Kubernetes release could not be downloaded."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/pykind/kubernetes`` (``~/.cache/pykind/kubernetes``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pykind" / "kubernetes"


def release_url(version: str, arch: str) -> str:
    """The server tarball URL of a Kubernetes release."""
    if not _VERSION_RE.match(version):
        raise ConfigError(
            f"{version!r} is not a Kubernetes release version (like v1.36.1)", field="source"
        )
    if not version.startswith("v"):
        version = "v" + version
    return RELEASE_URL.format(version=version, arch=arch)


def detect_type(source: str) -> str:
    """Guess ``--type`` from the source as upstream does: URL, local file, or version."""
    if source.startswith(("https://", "http://")):
        return "url"
    path = Path(source)
    if path.is_dir():
        return "source"
    if path.exists():
        return "file"
    if _VERSION_RE.match(source):
        return "release"
    raise ConfigError(
        f"cannot tell what {source!r} is: pass a kubernetes-server tarball, an https URL or a "
        "release version like v1.36.1 (or set --type)",
        field="source",
    )


def download(url: str, cache_dir: Path, *, status: Status = NULL_STATUS) -> Path:
    """Download ``url`` into ``cache_dir`` once; later calls reuse the cached file."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "https":
        raise ConfigError(f"{url!r}: only https URLs are downloaded", field="source")
    name = os.path.basename(parsed.path) or "kubernetes-server.tar.gz"
    folder = cache_dir / hashlib.sha256(url.encode()).hexdigest()[:16]
    target = folder / name
    if target.is_file():
        status.info(f'Using cached "{url}"')
        return target
    folder.mkdir(parents=True, exist_ok=True)
    status.info(f'Downloading "{url}"')
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": "pykind"})
            with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response:
                shutil.copyfileobj(response, out, 1 << 20)
        os.replace(tmp, target)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"failed to download {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"failed to download {url}: {reason}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def resolve(
    source: str,
    build_type: str | None,
    *,
    arch: str,
    cache_dir: Path | None = None,
    status: Status = NULL_STATUS,
) -> Path:
    """The local kubernetes-server tarball for ``source`` (downloading it when needed)."""
    kind = (build_type or "").strip().lower() or detect_type(source)
    if kind == "source":
        raise ConfigError(
            "building from source is not supported; use --type file|url|release", field="type"
        )
    if kind not in BUILD_TYPES:
        raise ConfigError(f"unknown build type {kind!r}; use --type file|url|release", field="type")
    if kind == "file":
        path = Path(source).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"kubernetes-server tarball {source!r} does not exist", field="source"
            )
        return path
    url = source if kind == "url" else release_url(source, arch)
    return download(url, cache_dir or default_cache_dir(), status=status)
