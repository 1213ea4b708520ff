"""Image references: the short names users type and the full names containerd stores.

``ctr images import`` and the CRI store images under fully qualified names (domain, path, tag);
users and ``docker save`` use short ("familiar") names such as ``nginx:1.27`` or
``example/app``. These helpers convert between the two with the rules engines use.
"""

from __future__ import annotations

import functools
import re

_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")


@functools.cache
def default_domain() -> str:
    """The domain short names resolve to (the Docker Hub index name, from the docker SDK)."""
    from docker.auth import INDEX_NAME

    return str(INDEX_NAME)


def _split_domain(name: str) -> tuple[str | None, str]:
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return None, name


def full_name(image: str) -> str:
    """``nginx`` -> ``<default domain>/library/nginx:latest``; full names stay as they are.

    A digest reference (``name@sha256:...``) keeps its digest and gets no tag.
    """
    name, at, digest = image.partition("@")
    domain, path = _split_domain(name)
    if domain is None:
        domain = default_domain()
        if "/" not in path:
            path = "library/" + path
    if not at and ":" not in path.rsplit("/", 1)[-1]:
        path += ":latest"
    return f"{domain}/{path}{at}{digest}"


def familiar_name(image: str) -> str:
    """The short form of ``image`` as ``docker images`` shows it (inverse of :func:`full_name`)."""
    prefix = default_domain() + "/"
    if image.startswith(prefix):
        image = image[len(prefix) :]
        if image.startswith("library/") and image.count("/") == 1:
            image = image[len("library/") :]
    return image


def normalize_id(image_id: str) -> str:
    """Image IDs as ``sha256:<hex>``: podman reports bare hex, docker the prefixed form."""
    image_id = image_id.strip()
    if _HEX64_RE.match(image_id):
        return "sha256:" + image_id
    return image_id


def is_digest(value: str) -> bool:
    """True for ``algorithm:hex`` strings such as ``sha256:...``."""
    return bool(_DIGEST_RE.match(value))
