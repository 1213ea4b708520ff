"""The parts of a ``kubernetes-server-linux-<arch>.tar.gz`` a node image needs."""

from __future__ import annotations

import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

from pykind.errors import PykindError

BIN_DIR = "kubernetes/server/bin"
BINARIES = ("kubeadm", "kubelet", "kubectl")
IMAGES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")
VERSION_FILE = "kubernetes/version"
#: Older releases (before 1.31) carry no version file; the API server's tag matches it.
VERSION_FALLBACK = f"{BIN_DIR}/kube-apiserver.docker_tag"


class ReleaseError(PykindError):
    """The tarball is not a usable Kubernetes server release."""


@dataclass(frozen=True)
class Release:
    """Extracted release files: binaries (name -> path), image archives, the version."""

    version: str
    binaries: dict[str, Path]
    images: tuple[Path, ...]


def extract_release(tarball: Path, dest: Path) -> Release:
    """Extract the binaries, image archives and version of ``tarball`` into ``dest``."""
    wanted = {f"{BIN_DIR}/{b}" for b in BINARIES}
    wanted |= {f"{BIN_DIR}/{i}.tar" for i in IMAGES}
    wanted |= {VERSION_FILE, VERSION_FALLBACK}
    found: dict[str, Path] = {}
    try:
        with tarfile.open(tarball, mode="r:*") as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                if name not in wanted or not member.isfile():
                    continue
                source = tar.extractfile(member)
                if source is None:
                    continue
                target = dest / Path(name).name
                with target.open("wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
                found[name] = target
    except (OSError, EOFError, tarfile.TarError) as exc:
        raise ReleaseError(
            f"cannot read kubernetes-server tarball {str(tarball)!r}: {exc}"
        ) from exc
    missing = sorted(w for w in wanted - {VERSION_FILE, VERSION_FALLBACK} if w not in found)
    if missing:
        raise ReleaseError(
            f"{str(tarball)!r} is not a kubernetes-server tarball: it lacks {', '.join(missing)}"
        )
    version_path = found.get(VERSION_FILE) or found.get(VERSION_FALLBACK)
    if version_path is None:
        raise ReleaseError(f"{str(tarball)!r} has no {VERSION_FILE}")
    version = version_path.read_text(encoding="utf-8", errors="replace").strip()
    if not version:
        raise ReleaseError(f"{str(tarball)!r} has an empty {VERSION_FILE}")
    return Release(
        version=version,
        binaries={b: found[f"{BIN_DIR}/{b}"] for b in BINARIES},
        images=tuple(found[f"{BIN_DIR}/{i}.tar"] for i in IMAGES),
    )
