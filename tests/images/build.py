"""Build the test images (node, haproxy, registry, broken) with docker or podman.

Each image is the folder ``tests/images/<name>/`` (a Dockerfile plus the files it copies).
The tag is ``pykind-test/<name>:<sha12>`` where ``sha12`` hashes the folder's contents, so a
build is skipped when that tag already exists; ``pykind-test/<name>:latest`` is tagged too.
A file lock per (engine, image) keeps concurrent test processes from building twice.

Usage::

    python -m tests.images.build --engine docker            # every image
    python -m tests.images.build --engine podman node haproxy
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from filelock import FileLock

IMAGES_DIR = Path(__file__).resolve().parent
REPOSITORY = "pykind-test"
ENGINES = ("docker", "podman")
#: Every image folder, in the order ``ensure_images`` builds them.
IMAGE_NAMES = ("node", "haproxy", "registry", "broken")
#: Images the engine-backed tests need by default.
DEFAULT_IMAGES = ("node", "haproxy", "registry", "broken")
BUILD_TIMEOUT_S = 1800
OUTPUT_TAIL_LINES = 40

__all__ = [
    "IMAGE_NAMES",
    "ImageBuildError",
    "build_image",
    "content_hash",
    "ensure_images",
    "image_exists",
    "image_tag",
]


class ImageBuildError(RuntimeError):
    """A test image could not be built; the message ends with the build output's tail."""


def _check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ImageBuildError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if shutil.which(engine) is None:
        raise ImageBuildError(f"the {engine} command line tool is not installed")
    return engine


def _image_dir(name: str) -> Path:
    folder = IMAGES_DIR / name
    if not (folder / "Dockerfile").is_file():
        known = ", ".join(
            sorted(p.name for p in IMAGES_DIR.iterdir() if (p / "Dockerfile").is_file())
        )
        raise ImageBuildError(f"no test image named {name!r} (known: {known})")
    return folder


def content_hash(folder: Path) -> str:
    """SHA-256 (hex) over every file's relative path, executable bit and bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(folder).as_posix()
        if "__pycache__" in rel.split("/"):
            continue
        if path.is_symlink():
            kind, data = b"L", os.readlink(path).encode()
        else:
            kind = b"X" if os.access(path, os.X_OK) else b"F"
            data = path.read_bytes()
        digest.update(kind + rel.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return digest.hexdigest()


def image_tag(name: str) -> str:
    """The content-addressed tag ``pykind-test/<name>:<sha12>`` of image ``name``."""
    return f"{REPOSITORY}/{name}:{content_hash(_image_dir(name))[:12]}"


def image_exists(engine: str, ref: str) -> bool:
    """Whether ``ref`` exists in ``engine``'s local image store."""
    result = subprocess.run(
        [_check_engine(engine), "image", "inspect", ref],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return result.returncode == 0


def _lock_path(engine: str, name: str) -> str:
    return os.path.join(tempfile.gettempdir(), f"pykind-test-image-{engine}-{name}.lock")


def _tail(text: str, lines: int = OUTPUT_TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _run(argv: list[str], what: str, timeout: float) -> None:
    try:
        result = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, str) else ""
        raise ImageBuildError(
            f"{what} timed out after {timeout:.0f}s; output tail:\n{_tail(out)}"
        ) from None
    if result.returncode != 0:
        raise ImageBuildError(
            f"{what} failed (exit {result.returncode}): {' '.join(argv)}\n"
            f"output tail:\n{_tail(result.stdout)}"
        )


def build_image(engine: str, name: str, *, force: bool = False, no_cache: bool = False) -> str:
    """Build ``tests/images/<name>/`` with ``engine`` unless already built; return its tag.

    The returned tag is ``pykind-test/<name>:<sha12>``; ``pykind-test/<name>:latest`` points
    at the same image afterwards. ``force`` rebuilds even when the tag exists; ``no_cache``
    also bypasses the engine's layer cache. Raises :class:`ImageBuildError` on failure.
    """
    _check_engine(engine)
    folder = _image_dir(name)
    tag = image_tag(name)
    latest = f"{REPOSITORY}/{name}:latest"
    with FileLock(_lock_path(engine, name), timeout=BUILD_TIMEOUT_S + 60):
        if force or no_cache or not image_exists(engine, tag):
            argv = [engine, "build", "--tag", tag, "--file", str(folder / "Dockerfile")]
            if no_cache:
                argv.append("--no-cache")
            if engine == "podman":
                # docker format keeps STOPSIGNAL and friends exactly as written
                argv += ["--format", "docker"]
            argv.append(str(folder))
            _run(argv, f"building test image {name!r} with {engine}", BUILD_TIMEOUT_S)
        _run([engine, "tag", tag, latest], f"tagging {tag} as {latest}", 120)
    return tag


def ensure_images(engine: str, names: Sequence[str] = DEFAULT_IMAGES) -> dict[str, str]:
    """Build (or reuse) each named image for ``engine``; return ``{name: tag}``."""
    return {name: build_image(engine, name) for name in names}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.images.build", description="Build the pykind test images."
    )
    parser.add_argument("--engine", choices=ENGINES, required=True)
    parser.add_argument("--force", action="store_true", help="rebuild even if the tag exists")
    parser.add_argument("--no-cache", action="store_true", help="rebuild without layer cache")
    parser.add_argument(
        "images", nargs="*", metavar="IMAGE", help=f"default: {' '.join(IMAGE_NAMES)}"
    )
    args = parser.parse_args(argv)
    names: list[str] = list(args.images) or list(IMAGE_NAMES)
    for name in names:
        start = time.monotonic()
        try:
            tag = build_image(args.engine, name, force=args.force, no_cache=args.no_cache)
        except ImageBuildError as exc:
            print(f"ERROR: {exc}", file=sys.stderr)
            return 1
        print(f"{args.engine}: {tag} ({time.monotonic() - start:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
