"""Extract a tar stream into a folder safely, with owner-only permissions."""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_dir(path: Path) -> None:
    """Create ``path`` (and parents) as owner-only folders."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)


def open_private(path: Path) -> BinaryIO:
    """Open ``path`` for writing, created (or truncated) with mode 0600."""
    make_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "wb")


def _safe_relative(name: str) -> PurePosixPath | None:
    rel = PurePosixPath(name)
    parts = [p for p in rel.parts if p not in ("", ".")]
    if rel.is_absolute() or ".." in parts or not parts:
        return None
    return PurePosixPath(*parts)


def extract(stream: BinaryIO, dest: Path) -> list[str]:
    """Extract regular files and folders of the tar ``stream`` into ``dest``.

    Paths leaving ``dest`` and non-regular entries (links, devices) are skipped; their names
    are returned. Everything is created owner-only. The stream is read to its end.
    """
    skipped: list[str] = []
    make_dir(dest)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                rel = _safe_relative(member.name)
                if rel is None:
                    if member.name not in (".", "./"):
                        skipped.append(member.name)
                    continue
                target = dest.joinpath(*rel.parts)
                if member.isdir():
                    make_dir(target)
                elif member.isfile():
                    source = tar.extractfile(member)
                    if source is None:
                        skipped.append(member.name)
                        continue
                    with open_private(target) as out:
                        shutil.copyfileobj(source, out, 1 << 20)
                else:
                    skipped.append(member.name)
    finally:
        while stream.read(1 << 20):  # drain, so the writer never blocks on a full pipe
            pass
    return skipped
