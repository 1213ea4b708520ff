"""Step ``kubeadm-init``: ``kubeadm init`` on the bootstrap control plane (upstream's
``kubeadminit`` action, "Starting control-plane 🕹️")."""

from __future__ import annotations

from pykind.cluster.context import StepContext
from pykind.cluster.nodes import (
    ADMIN_CONF,
    KUBECTL_ADMIN,
    bootstrap_control_plane,
    kube_version,
    parse_version,
    read_file,
    secondary_control_planes,
    write_file,
)
from pykind.config.models import ClusterConfig, ProxyMode
from pykind.plugin.types import CreateStep, Phase
from pykind.runtime.protocols import Node
from pykind.status import step

#: ``ctx.data`` key of the admin kubeconfig text kubeadm wrote.
ADMIN_CONF_KEY = "admin_conf"

#: What the other control planes need from the first one before they join (as upstream).
SHARED_CONTROL_PLANE_FILES = (
    ADMIN_CONF,
    "/etc/kubernetes/pki/ca.crt",
    "/etc/kubernetes/pki/ca.key",
    "/etc/kubernetes/pki/front-proxy-ca.crt",
    "/etc/kubernetes/pki/front-proxy-ca.key",
    "/etc/kubernetes/pki/sa.pub",
    "/etc/kubernetes/pki/sa.key",
    "/etc/kubernetes/pki/etcd/ca.crt",
    "/etc/kubernetes/pki/etcd/ca.key",
)
EXCLUDE_FROM_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"


def init_argv(config: ClusterConfig) -> list[str]:
    """Upstream's ``kubeadm init`` command line."""
    skip = "preflight"
    if config.networking.kube_proxy_mode == ProxyMode.NONE:
        skip += ",addon/kube-proxy"
    return [
        "kubeadm",
        "init",
        f"--skip-phases={skip}",
        "--config=/kind/kubeadm.conf",
        "--skip-token-print",
        "--v=6",
    ]


def control_plane_taints(version: str) -> list[str]:
    """The taint removals (``key-``) for a single-node cluster, by Kubernetes version."""
    parsed = parse_version(version)
    if parsed < (1, 24, 0):
        return ["node-role.kubernetes.io/master-"]
    if parsed < (1, 25, 0):
        return ["node-role.kubernetes.io/control-plane-", "node-role.kubernetes.io/master-"]
    return ["node-role.kubernetes.io/control-plane-"]


def _make_schedulable(node: Node) -> None:
    """A single node runs workloads: drop the control-plane taint and the label that keeps
    it out of load balancers (as upstream)."""
    taints = control_plane_taints(kube_version(node))
    node.run(["kubectl", KUBECTL_ADMIN, "taint", "nodes", "--all", *taints])
    node.run(["kubectl", KUBECTL_ADMIN, "label", "nodes", "--all", f"{EXCLUDE_FROM_LB_LABEL}-"])


def run(ctx: StepContext) -> None:
    with step(ctx.status, "Starting control-plane 🕹️"):
        nodes = ctx.nodes()
        node = bootstrap_control_plane(nodes)
        node.run(init_argv(ctx.config))
        others = secondary_control_planes(nodes)
        if others:
            shared = {path: node.run(["cat", path]).stdout for path in SHARED_CONTROL_PLANE_FILES}
            for other in others:
                for path, data in shared.items():
                    write_file(other, path, data)
        ctx.data[ADMIN_CONF_KEY] = read_file(node, ADMIN_CONF)
        if len(nodes) == 1:
            _make_schedulable(node)


STEP = CreateStep(
    name="kubeadm-init",
    phase=Phase.KUBEADM_INIT,
    run=run,
    description="kubeadm init on the first control plane",
)
