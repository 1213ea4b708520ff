"""Talking to a cluster from inside its first control-plane node, as upstream kind does:
``kubectl --kubeconfig=/etc/kubernetes/admin.conf ...`` with manifests streamed on stdin."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import yaml

from pykind.errors import AddonError
from pykind.runtime.protocols import ROLE_CONTROL_PLANE, CommandResult, Node, Stdin

ADMIN_KUBECONFIG = "/etc/kubernetes/admin.conf"


def control_plane_node(nodes: Iterable[Node]) -> Node:
    """The bootstrap control plane (``<cluster>-control-plane``: first by name)."""
    planes = sorted((n for n in nodes if n.role == ROLE_CONTROL_PLANE), key=lambda n: n.name)
    if not planes:
        raise AddonError("the cluster has no control-plane node")
    return planes[0]


def kubernetes_nodes(nodes: Iterable[Node]) -> list[Node]:
    """Nodes that run pods (everything but the external load balancer)."""
    return [n for n in nodes if n.role != "external-load-balancer"]


def kubectl(
    node: Node, args: Sequence[str], *, stdin: Stdin | None = None, check: bool = True
) -> CommandResult:
    """Run ``kubectl`` with the admin kubeconfig inside ``node``."""
    return node.run(
        ["kubectl", f"--kubeconfig={ADMIN_KUBECONFIG}", *args], stdin=stdin, check=check
    )


def apply_manifest(node: Node, manifest: bytes) -> CommandResult:
    return kubectl(node, ["apply", "-f", "-"], stdin=manifest)


def delete_manifest(node: Node, manifest: bytes) -> CommandResult:
    return kubectl(
        node, ["delete", "--ignore-not-found", "--wait=false", "-f", "-"], stdin=manifest
    )


def timeout_arg(seconds: float) -> str:
    """kubectl's duration form: whole seconds, at least 1."""
    return f"{max(1, math.ceil(seconds))}s"


def wait_for_pods(node: Node, *, namespace: str, selector: str, timeout: float) -> CommandResult:
    """``kubectl wait --for=condition=ready pod --selector=...`` (upstream's ingress docs)."""
    return kubectl(
        node,
        [
            "wait",
            f"--namespace={namespace}",
            "--for=condition=ready",
            "pod",
            f"--selector={selector}",
            f"--timeout={timeout_arg(timeout)}",
        ],
    )


def rollout_status(node: Node, *, namespace: str, resource: str, timeout: float) -> CommandResult:
    """``kubectl rollout status`` of e.g. ``deployment/contour`` or ``daemonset/envoy``."""
    return kubectl(
        node,
        [
            "rollout",
            "status",
            f"--namespace={namespace}",
            resource,
            f"--timeout={timeout_arg(timeout)}",
        ],
    )


def _pod_specs(doc: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(doc, dict):
        return
    if doc.get("kind") == "List":
        for item in doc.get("items") or ():
            yield from _pod_specs(item)
        return
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return
    if doc.get("kind") == "Pod":
        yield spec
    template = spec.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        yield template["spec"]
    job = spec.get("jobTemplate")
    if isinstance(job, dict):
        yield from _pod_specs({"kind": "Job", "spec": job.get("spec")})


def manifest_images(manifest: bytes | str) -> list[str]:
    """Container images a manifest runs (containers and init containers), in order, once each."""
    images: list[str] = []
    for doc in yaml.safe_load_all(manifest):
        for spec in _pod_specs(doc):
            for key in ("initContainers", "containers"):
                for container in spec.get(key) or ():
                    image = container.get("image") if isinstance(container, dict) else None
                    if isinstance(image, str) and image not in images:
                        images.append(image)
    return images
