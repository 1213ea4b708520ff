"""Helpers over a cluster's nodes (upstream's ``nodeutils``): select by role, read and write
files, run work on several nodes at once."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pykind.errors import PykindError
from pykind.runtime.protocols import (
    ROLE_CONTROL_PLANE,
    ROLE_LOAD_BALANCER,
    ROLE_WORKER,
    Node,
)

T = TypeVar("T")

#: Where kubeadm's admin kubeconfig lives in a control-plane node.
ADMIN_CONF = "/etc/kubernetes/admin.conf"
#: ``kubectl`` flag every in-node kubectl call uses (as upstream).
KUBECTL_ADMIN = f"--kubeconfig={ADMIN_CONF}"
#: The API server's port inside the nodes.
API_SERVER_INTERNAL_PORT = 6443

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")
_TRAILING_NUMBER = re.compile(r"^(.*?)(\d*)$")


def _natural_key(node: Node) -> tuple[str, int]:
    """``x-control-plane`` < ``x-control-plane2`` < ``x-control-plane10``."""
    match = _TRAILING_NUMBER.match(node.name)
    assert match is not None  # the pattern matches every string
    stem, number = match.groups()
    return stem, int(number) if number else 1


def by_role(nodes: Iterable[Node], role: str) -> list[Node]:
    """Nodes with ``role``, in creation order (``...2`` after the unnumbered one)."""
    return sorted((n for n in nodes if n.role == role), key=_natural_key)


def control_plane_nodes(nodes: Iterable[Node]) -> list[Node]:
    return by_role(nodes, ROLE_CONTROL_PLANE)


def worker_nodes(nodes: Iterable[Node]) -> list[Node]:
    return by_role(nodes, ROLE_WORKER)


def internal_nodes(nodes: Iterable[Node]) -> list[Node]:
    """The Kubernetes nodes: control planes first, then workers (no load balancer)."""
    nodes = list(nodes)
    return control_plane_nodes(nodes) + worker_nodes(nodes)


def bootstrap_control_plane(nodes: Iterable[Node]) -> Node:
    """The control plane that runs ``kubeadm init`` (the first one, as upstream)."""
    planes = control_plane_nodes(nodes)
    if not planes:
        raise PykindError("the cluster has no control-plane node")
    return planes[0]


def secondary_control_planes(nodes: Iterable[Node]) -> list[Node]:
    return control_plane_nodes(nodes)[1:]


def external_load_balancer(nodes: Iterable[Node]) -> Node | None:
    """The load balancer container, or None when the cluster has none."""
    found = by_role(nodes, ROLE_LOAD_BALANCER)
    if len(found) > 1:
        names = ", ".join(n.name for n in found)
        raise PykindError(f"unexpected: more than one external load balancer node ({names})")
    return found[0] if found else None


def read_file(node: Node, path: str) -> str:
    """The text of ``path`` in ``node`` (``cat``)."""
    return node.run(["cat", path]).text


def write_file(node: Node, path: str, content: str | bytes) -> None:
    """Write ``content`` to ``path`` in ``node``, creating its folder (upstream's WriteFile)."""
    data = content.encode() if isinstance(content, str) else content
    node.run(["mkdir", "-p", posixpath.dirname(path)])
    node.run(["cp", "/dev/stdin", path], stdin=data)


def copy_node_to_node(src: Node, dst: Node, path: str) -> None:
    """Copy the file ``path`` from ``src`` to the same path in ``dst``."""
    data = src.run(["cat", path]).stdout
    dst.run(["mkdir", "-p", posixpath.dirname(path)])
    dst.run(["cp", "/dev/stdin", path], stdin=data)


def kube_version(node: Node) -> str:
    """The Kubernetes version the node image ships (``/kind/version``, e.g. ``v1.36.1``)."""
    version = read_file(node, "/kind/version").strip()
    if not version:
        raise PykindError(f"node {node.name!r} reported an empty /kind/version")
    return version


def parse_version(version: str) -> tuple[int, int, int]:
    """``v1.36.1`` (with any pre-release/build suffix) as ``(1, 36, 1)``."""
    match = _VERSION.match(version.strip())
    if not match:
        raise PykindError(f"could not parse Kubernetes version {version!r}")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def run_concurrently(fns: Sequence[Callable[[], T]]) -> list[T]:
    """Run ``fns`` in threads; return their results in order. Waits for all of them, then
    raises the error of the first one (in order) that failed."""
    if len(fns) <= 1:
        return [fn() for fn in fns]
    with ThreadPoolExecutor(max_workers=min(len(fns), 8)) as pool:
        futures = [pool.submit(fn) for fn in fns]
        errors = [f.exception() for f in futures]
    for err in errors:
        if err is not None:
            raise err
    return [f.result() for f in futures]
