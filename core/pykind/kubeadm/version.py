"""Kubernetes versions as kind reads them, and the kubeadm config API each one gets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pykind.errors import ConfigError

KUBEADM_GROUP = "kubeadm.k8s.io"

# "generic" versions as k8s.io/apimachinery parses them: two or more numeric fields after an
# optional "v", followed by anything (pre-release and build data are not interpreted).
_GENERIC = re.compile(r"^\s*v?(\d+(?:\.\d+)+)(.*)$")


@dataclass(frozen=True, order=True)
class KubeVersion:
    major: int
    minor: int
    patch: int

    def at_least(self, major: int, minor: int, patch: int = 0) -> bool:
        return (self.major, self.minor, self.patch) >= (major, minor, patch)


def parse_version(text: str) -> KubeVersion:
    """Parse ``v1.36.1`` / ``1.30`` / ``v1.36.0-alpha.1+abc`` like kind's ``ParseGeneric``:
    pre-release and build suffixes are not interpreted, so ``v1.36.0-alpha.1`` counts as
    ``1.36.0``."""
    match = _GENERIC.match(text)
    if not match:
        raise ConfigError(f"could not parse Kubernetes version {text!r}")
    fields = match.group(1).split(".")
    if any(len(f) > 1 and f.startswith("0") for f in fields):
        raise ConfigError(f"could not parse Kubernetes version {text!r} (leading zero)")
    numbers = [int(f) for f in fields] + [0]
    return KubeVersion(numbers[0], numbers[1], numbers[2])


def kubeadm_api_version(kubernetes_version: str) -> str:
    """The kubeadm config ``apiVersion`` kind renders for a Kubernetes version.

    ``kubeadm.k8s.io/v1beta4`` from 1.36.0 (kind v0.32.0), ``v1beta3`` from 1.23.0, else
    ``v1beta2``.
    """
    v = parse_version(kubernetes_version)
    if v.at_least(1, 36):
        return f"{KUBEADM_GROUP}/v1beta4"
    if v.at_least(1, 23):
        return f"{KUBEADM_GROUP}/v1beta3"
    return f"{KUBEADM_GROUP}/v1beta2"


def version_from_image(image: str) -> str | None:
    """The Kubernetes version in a node image's tag, or None when the tag is not a version.

    ``kindest/node:v1.36.1@sha256:...`` -> ``v1.36.1``; ``my/node:latest`` -> None.
    """
    ref = image.split("@", 1)[0]
    name, sep, tag = ref.rpartition(":")
    if not sep or "/" in tag or not name:
        return None
    if not re.match(r"^v?\d+\.\d+", tag):
        return None
    try:
        parse_version(tag)
    except ConfigError:
        return None
    return tag
