"""Image archives on disk (``docker save`` / ``podman save`` / OCI layout tars).

Before an archive is streamed into nodes it is checked here: it must be a readable tar that
holds ``manifest.json`` (docker archive) or ``index.json`` (OCI layout). Gzip-compressed tars are
accepted and decompressed while streaming.
"""

from __future__ import annotations

import gzip
import json
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pykind.errors import PykindError

CHUNK_SIZE = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
#: OCI annotations that carry an image's name in ``index.json``.
_NAME_ANNOTATIONS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")


class ArchiveError(PykindError):
    """A file is missing, unreadable or not an image archive."""


@dataclass(frozen=True)
class ImageArchive:
    """A checked image archive: its path, the image names it holds and its format."""

    path: Path
    names: tuple[str, ...]
    #: "docker" (manifest.json), "oci" (index.json only).
    format: str
    compressed: bool = False

    def chunks(self, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The uncompressed tar stream, read lazily in chunks of ``size`` bytes."""
        with _open(self.path, self.compressed) as stream:
            while True:
                chunk = stream.read(size)
                if not chunk:
                    return
                yield chunk


def _open(path: Path, compressed: bool) -> BinaryIO:
    if compressed:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == _GZIP_MAGIC


def _names_from_manifest(data: Any) -> list[str]:
    names: list[str] = []
    if isinstance(data, list):
        for entry in data:
            if isinstance(entry, dict):
                names.extend(str(t) for t in entry.get("RepoTags") or [])
    return names


def _names_from_index(data: Any) -> list[str]:
    names: list[str] = []
    if isinstance(data, dict):
        for desc in data.get("manifests") or []:
            if not isinstance(desc, dict):
                continue
            annotations = desc.get("annotations") or {}
            for key in _NAME_ANNOTATIONS:
                value = annotations.get(key)
                if value and (key != _NAME_ANNOTATIONS[1] or ":" in value or "/" in value):
                    names.append(str(value))
                    break
    return names


def inspect_archive(path: str | Path) -> ImageArchive:
    """Check that ``path`` is an image archive; raise :class:`ArchiveError` naming it if not."""
    p = Path(path)
    if not p.exists():
        raise ArchiveError(f"image archive {str(p)!r} does not exist")
    if not p.is_file():
        raise ArchiveError(f"image archive {str(p)!r} is not a file")
    try:
        compressed = _is_gzip(p)
        manifest: Any = None
        index: Any = None
        with _open(p, compressed) as raw, tarfile.open(fileobj=raw, mode="r|") as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                if name not in ("manifest.json", "index.json") or not member.isfile():
                    continue
                fileobj = tar.extractfile(member)
                if fileobj is None:
                    continue
                data = json.loads(fileobj.read())
                if name == "manifest.json":
                    manifest = data
                else:
                    index = data
                if manifest is not None and index is not None:
                    break
    except (OSError, EOFError, tarfile.TarError, zlib.error) as exc:
        raise ArchiveError(f"image archive {str(p)!r} is not a readable tar file: {exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArchiveError(
            f"image archive {str(p)!r} has an unreadable manifest.json or index.json: {exc}"
        ) from exc
    if manifest is None and index is None:
        raise ArchiveError(
            f"{str(p)!r} is not an image archive: it holds neither manifest.json nor index.json"
        )
    names = _names_from_manifest(manifest) or _names_from_index(index)
    return ImageArchive(
        path=p,
        names=tuple(dict.fromkeys(names)),
        format="docker" if manifest is not None else "oci",
        compressed=compressed,
    )
