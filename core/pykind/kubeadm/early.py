"""Find kubeadm patches that will match nothing before any container exists.

The Kubernetes version decides the kubeadm API version (and so what a patch must target). It
is only certain once a node runs (``/kind/version``), but a node image tag usually carries it
(``kindest/node:v1.36.1@sha256:...``). This check renders every node with placeholder facts
and runs the real patch machinery, so it reports exactly what the later per-node run would.
"""

from __future__ import annotations

from pykind.config.models import ClusterConfig, IPFamily, NodeRole
from pykind.kubeadm.config import DEFAULT_TOKEN, NodeFacts, node_kubeadm_config
from pykind.kubeadm.version import parse_version, version_from_image
from pykind.patches.types import PatchApplyError, patch_error


def _placeholder_facts(cluster: ClusterConfig, index: int, version: str) -> NodeFacts:
    node = cluster.nodes[index]
    role = NodeRole(node.role).value
    same_role = [n for n in cluster.nodes[: index + 1] if n.role == node.role]
    suffix = "" if len(same_role) <= 1 else str(len(same_role))
    dual_or_v6 = cluster.networking.ip_family != IPFamily.IPV4
    return NodeFacts(
        node_name=f"{cluster.name}-{role}{suffix}",
        role=role,
        ipv4=f"10.0.0.{index + 2}",
        ipv6=f"fc00::{index + 2}" if dual_or_v6 else "",
        kubernetes_version=version,
        control_plane_endpoint=f"{cluster.name}-control-plane:6443",
        token=DEFAULT_TOKEN,
        provider_name="docker",
    )


def check_patches_early(
    cluster: ClusterConfig, kubernetes_version: str | None, *, strict: bool = False
) -> list[str]:
    """Warnings for kubeadm patches that will match nothing, computed from the config alone.

    ``kubernetes_version`` applies to every node when given; when None, each node's version is
    read from its image tag and nodes whose tag is not a version are skipped. Invalid patches
    raise :class:`~pykind.errors.PatchError`; patches that fail to apply are left to the real
    run (they may depend on facts only a running node has). With ``strict``, warnings raise
    :class:`~pykind.errors.PatchError`.
    """
    cfg = cluster.with_defaults()
    if kubernetes_version is not None:
        parse_version(kubernetes_version)
    warnings: list[str] = []
    for index, node in enumerate(cfg.nodes):
        version = kubernetes_version or version_from_image(node.image)
        if version is None:
            continue
        facts = _placeholder_facts(cfg, index, version)
        try:
            rendered = node_kubeadm_config(cfg, node, facts)
        except PatchApplyError:
            continue
        for warning in rendered.warnings:
            if warning not in warnings:
                warnings.append(warning)
    if strict and warnings:
        raise patch_error("\n".join(warnings))
    return warnings
