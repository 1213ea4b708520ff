"""Render ``/kind/kubeadm.conf`` for one node exactly as upstream kind does, then patch it.

Upstream renders a Go template per kubeadm API version, turns every document into JSON,
applies the cluster-level ``kubeadmConfigPatches`` then ``kubeadmConfigPatchesJSON6902``, then
(only if the node has any) the node-level ones, writes the documents back as YAML (sorted
keys, no comments) and strips the ``metadata: {name: config}`` stanzas. This module builds the
same documents as Python dicts and writes them the same way (see :mod:`pykind.patches`).

Every Kubernetes node gets the same five documents (ClusterConfiguration, InitConfiguration,
JoinConfiguration, KubeletConfiguration and, unless kube-proxy is disabled,
KubeProxyConfiguration): the first control plane runs ``kubeadm init`` and the others
``kubeadm join`` with the same file, so ``is_bootstrap_control_plane`` changes nothing in it.
"""

from __future__ import annotations

import ipaddress
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pykind.config.models import ClusterConfig, IPFamily, NodeRole, ProxyMode
from pykind.config.models import Node as NodeConfig
from pykind.errors import ConfigError, ProviderError
from pykind.kubeadm.version import KubeVersion, kubeadm_api_version, parse_version
from pykind.patches import yamlcompat
from pykind.patches.kube import (
    JSON6902Source,
    MergePatchSource,
    Resource,
    apply_patches,
    describe_documents,
    unmatched_message,
)
from pykind.patches.types import Rendered, patch_error

#: The port the API server listens on inside a control-plane node (upstream's constant).
API_SERVER_INTERNAL_PORT = 6443
#: Upstream kind's fixed bootstrap token; pykind generates one per cluster (:func:`new_token`).
DEFAULT_TOKEN = "abcdef.0123456789abcdef"
CRI_SOCKET = "unix:///run/containerd/containerd.sock"
KUBELET_API_VERSION = "kubelet.config.k8s.io/v1beta1"
KUBE_PROXY_API_VERSION = "kubeproxy.config.k8s.io/v1alpha1"
_METADATA_STANZA = "metadata:\n  name: config\n"
_TOKEN_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class NodeFacts:
    """What the kubeadm config of one node needs beyond the cluster config.

    Everything here is known only once the node container exists (or, for ``token``, once per
    cluster).
    """

    #: Container (and Kubernetes node) name, e.g. ``kind-control-plane``.
    node_name: str
    #: ``control-plane`` or ``worker``; must agree with the node's config.
    role: str
    #: The node's IPv4 address on the cluster network ("" when it has none).
    ipv4: str
    #: The node's IPv6 address ("" when it has none); required for ipv6 and dual clusters.
    ipv6: str
    #: Contents of ``/kind/version`` in the node, e.g. ``v1.36.1``.
    kubernetes_version: str
    #: ``<load-balancer-or-control-plane>:6443`` (upstream's internal API server endpoint).
    control_plane_endpoint: str
    #: Bootstrap token, ``[a-z0-9]{6}.[a-z0-9]{16}`` (see :func:`new_token`).
    token: str
    #: Provider name for the kubelet ``provider-id`` (``kind://<provider>/<cluster>/<node>``).
    provider_name: str
    #: The engine runs rootless: adds the KubeletInUserNamespace gate and conntrack opt-outs.
    rootless: bool = False
    #: This node runs ``kubeadm init``. The file is the same either way (see module docs).
    is_bootstrap_control_plane: bool = False
    #: Port the API server binds inside control-plane nodes.
    api_bind_port: int = API_SERVER_INTERNAL_PORT


def new_token() -> str:
    """A fresh kubeadm bootstrap token: ``[a-z0-9]{6}.[a-z0-9]{16}``."""

    def part(length: int) -> str:
        return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(length))

    return f"{part(6)}.{part(16)}"


@dataclass(frozen=True)
class _Data:
    """Upstream's ``ConfigData`` after ``Derive()``."""

    api_version: str
    version: KubeVersion
    kubernetes_version: str
    cluster_name: str
    control_plane_endpoint: str
    api_bind_port: int
    api_server_address: str
    provider: str
    control_plane: bool
    node_name: str
    node_address: str
    token: str
    kube_proxy_mode: str
    pod_subnet: str
    service_subnet: str
    feature_gates: dict[str, bool]
    runtime_config: dict[str, str]
    ipv6: bool
    node_labels: str
    rootless: bool

    @property
    def advertise_address(self) -> str:
        return self.node_address.split(",")[0]

    @property
    def list_args(self) -> bool:
        return self.api_version.endswith("v1beta4")

    @property
    def cgroup_driver(self) -> str:
        return "systemd" if self.version.at_least(1, 24) else "cgroupfs"

    @property
    def feature_gates_flag(self) -> str:
        return ",".join(
            f"{k}={'true' if v else 'false'}" for k, v in sorted(self.feature_gates.items())
        )

    @property
    def runtime_config_flag(self) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(self.runtime_config.items()))

    @property
    def skip_phases(self) -> bool:
        return not self.api_version.endswith("v1beta2")


def _node_address(cluster: ClusterConfig, facts: NodeFacts) -> str:
    family = cluster.networking.ip_family
    if family == IPFamily.IPV4:
        if not facts.ipv4:
            raise ProviderError(f"node {facts.node_name!r} has no IPv4 address")
        return facts.ipv4
    try:
        ok = bool(facts.ipv6) and ipaddress.ip_address(facts.ipv6).version == 6
    except ValueError:
        ok = False
    if not ok:
        raise ProviderError(
            f"failed to get an IPv6 address for node {facts.node_name!r}; is "
            f"{facts.provider_name} configured to use IPv6 correctly?"
        )
    if family == IPFamily.IPV6:
        return facts.ipv6
    if not facts.ipv4:
        raise ProviderError(f"node {facts.node_name!r} has no IPv4 address (ipFamily: dual)")
    # the first address is the API server's advertise address: follow the primary service
    # subnet's family, as upstream does
    primary = cluster.networking.service_subnet.split(",")[0].strip()
    try:
        primary_is_v4 = ipaddress.ip_network(primary, strict=False).version == 4
    except ValueError:
        raise ConfigError(f"invalid subnet {primary!r}", field="networking.serviceSubnet") from None
    first, second = (facts.ipv4, facts.ipv6) if primary_is_v4 else (facts.ipv6, facts.ipv4)
    return f"{first},{second}"


def _config_data(cluster: ClusterConfig, node: NodeConfig, facts: NodeFacts) -> _Data:
    if facts.role not in (NodeRole.CONTROL_PLANE.value, NodeRole.WORKER.value):
        raise ConfigError(f"unknown node role {facts.role!r} for node {facts.node_name!r}")
    if facts.role != NodeRole(node.role).value:
        raise ConfigError(
            f"node {facts.node_name!r} is a {facts.role} but its config says {node.role.value}"
        )
    version = parse_version(facts.kubernetes_version)
    gates = dict(cluster.feature_gates)
    if facts.rootless:
        if not version.at_least(1, 22):
            raise ConfigError(
                f"Kubernetes {facts.kubernetes_version} is not compatible with a rootless "
                "provider (it needs 1.22 or later)"
            )
        gates["KubeletInUserNamespace"] = True
    net = cluster.networking
    return _Data(
        api_version=kubeadm_api_version(facts.kubernetes_version),
        version=version,
        kubernetes_version=facts.kubernetes_version,
        cluster_name=cluster.name,
        control_plane_endpoint=facts.control_plane_endpoint,
        api_bind_port=facts.api_bind_port,
        api_server_address=net.api_server_address,
        provider=facts.provider_name,
        control_plane=node.role == NodeRole.CONTROL_PLANE,
        node_name=facts.node_name,
        node_address=_node_address(cluster, facts),
        token=facts.token,
        kube_proxy_mode=ProxyMode(net.kube_proxy_mode).value,
        pod_subnet=net.pod_subnet,
        service_subnet=net.service_subnet,
        feature_gates=gates,
        runtime_config=dict(cluster.runtime_config),
        ipv6=net.ip_family == IPFamily.IPV6,
        node_labels=",".join(f"{k}={v}" for k, v in node.labels.items()),
        rootless=facts.rootless,
    )


def _args(d: _Data, pairs: list[tuple[str, str]]) -> Any:
    """Component arguments: a map before v1beta4, a list of {name, value} from v1beta4.
    No arguments renders as null, as upstream's template does."""
    if not pairs:
        return None
    if d.list_args:
        return [{"name": name, "value": value} for name, value in pairs]
    return dict(pairs)


def _cluster_configuration(d: _Data) -> dict[str, Any]:
    gates = [("feature-gates", d.feature_gates_flag)] if d.feature_gates else []
    controller_manager = [*gates, ("enable-hostpath-provisioner", "true")]
    scheduler = list(gates)
    if d.ipv6:
        controller_manager.append(("bind-address", "::"))
        scheduler.append(("bind-address", "::1"))
    doc: dict[str, Any] = {
        "apiVersion": d.api_version,
        "kind": "ClusterConfiguration",
        "metadata": {"name": "config"},
        "kubernetesVersion": d.kubernetes_version,
        "clusterName": d.cluster_name,
    }
    if d.version.at_least(1, 20) and not d.version.at_least(1, 21):
        # kubeadm's own dual-stack gate, needed on 1.20 only
        doc["featureGates"] = {"IPv6DualStack": True}
    doc |= {
        "controlPlaneEndpoint": d.control_plane_endpoint,
        # the API server is reached through a port forward on the host, so its certificate
        # must be valid for localhost and the configured address
        "apiServer": {
            "certSANs": ["localhost", d.api_server_address],
            "extraArgs": _args(d, [("runtime-config", d.runtime_config_flag), *gates]),
        },
        "controllerManager": {"extraArgs": _args(d, controller_manager)},
        "scheduler": {"extraArgs": _args(d, scheduler)},
        "networking": {"podSubnet": d.pod_subnet, "serviceSubnet": d.service_subnet},
    }
    return doc


def _node_registration(d: _Data) -> dict[str, Any]:
    return {
        "criSocket": CRI_SOCKET,
        "kubeletExtraArgs": _args(
            d,
            [
                ("node-ip", d.node_address),
                ("provider-id", f"kind://{d.provider}/{d.cluster_name}/{d.node_name}"),
                ("node-labels", d.node_labels),
            ],
        ),
    }


def _init_configuration(d: _Data) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": d.api_version,
        "kind": "InitConfiguration",
        "metadata": {"name": "config"},
        "bootstrapTokens": [{"token": d.token}],
        "localAPIEndpoint": {
            "advertiseAddress": d.advertise_address,
            "bindPort": d.api_bind_port,
        },
        "nodeRegistration": _node_registration(d),
    }
    if d.skip_phases:
        # kind pre-loads images, so the preflight checks (which pull) are skipped
        phases = ["preflight"]
        if d.kube_proxy_mode == ProxyMode.NONE.value:
            phases.append("addon/kube-proxy")
        doc["skipPhases"] = phases
    return doc


def _join_configuration(d: _Data) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": d.api_version,
        "kind": "JoinConfiguration",
        "metadata": {"name": "config"},
    }
    if d.control_plane:
        doc["controlPlane"] = {
            "localAPIEndpoint": {
                "advertiseAddress": d.advertise_address,
                "bindPort": d.api_bind_port,
            }
        }
    doc["nodeRegistration"] = _node_registration(d)
    doc["discovery"] = {
        "bootstrapToken": {
            "apiServerEndpoint": d.control_plane_endpoint,
            "token": d.token,
            "unsafeSkipCAVerification": True,
        }
    }
    if d.skip_phases:
        doc["skipPhases"] = ["preflight"]
    return doc


def _kubelet_configuration(d: _Data) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": KUBELET_API_VERSION,
        "kind": "KubeletConfiguration",
        "metadata": {"name": "config"},
        "cgroupDriver": d.cgroup_driver,
        "cgroupRoot": "/kubelet",
        "failSwapOn": False,
    }
    if d.ipv6:
        doc |= {"address": "::", "healthzBindAddress": "::"}
    # the kubelet would see the host's disk behind the node and try to reclaim space on it
    doc |= {
        "imageGCHighThresholdPercent": 100,
        "evictionHard": {
            "nodefs.available": "0%",
            "nodefs.inodesFree": "0%",
            "imagefs.available": "0%",
        },
    }
    if d.feature_gates:
        doc["featureGates"] = dict(sorted(d.feature_gates.items()))
    return doc


def _kube_proxy_configuration(d: _Data) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": KUBE_PROXY_API_VERSION,
        "kind": "KubeProxyConfiguration",
        "metadata": {"name": "config"},
        "mode": d.kube_proxy_mode,
    }
    if d.feature_gates:
        doc["featureGates"] = dict(sorted(d.feature_gates.items()))
    # maxPerCore 0: leave nf_conntrack_max (a host-wide setting) alone
    conntrack: dict[str, Any] = {"maxPerCore": 0}
    if d.kube_proxy_mode == ProxyMode.NFTABLES.value and not d.rootless:
        conntrack["tcpBeLiberal"] = True
    if d.rootless:
        conntrack |= {"tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s"}
    doc |= {"iptables": {"minSyncPeriod": "1s"}, "conntrack": conntrack}
    return doc


def kubeadm_documents(
    cluster: ClusterConfig, node: NodeConfig, facts: NodeFacts
) -> list[dict[str, Any]]:
    """The unpatched documents (with upstream's ``metadata: {name: config}``), in order.

    ``cluster`` must have its defaults applied (:meth:`ClusterConfig.with_defaults`).
    """
    d = _config_data(cluster, node, facts)
    docs = [
        _cluster_configuration(d),
        _init_configuration(d),
        _join_configuration(d),
        _kubelet_configuration(d),
    ]
    if d.kube_proxy_mode != ProxyMode.NONE.value:
        docs.append(_kube_proxy_configuration(d))
    return docs


def encode_documents(docs: Sequence[dict[str, Any]]) -> str:
    """Write documents as upstream does after patching: sorted YAML separated by ``---``,
    with the ``metadata: {name: config}`` stanzas removed."""
    text = "---\n".join(yamlcompat.dump(yamlcompat.to_json_compatible(doc)) for doc in docs)
    return text.replace(_METADATA_STANZA, "")


def render_kubeadm_config(cluster: ClusterConfig, node: NodeConfig, facts: NodeFacts) -> str:
    """``/kind/kubeadm.conf`` for ``node`` without any patches applied."""
    return encode_documents(kubeadm_documents(cluster.with_defaults(), node, facts))


def _node_index(cluster: ClusterConfig, node: NodeConfig) -> int | None:
    for i, candidate in enumerate(cluster.nodes):
        if candidate is node:
            return i
    for i, candidate in enumerate(cluster.nodes):
        if candidate == node:
            return i
    return None


def _json6902_sources(patches: Sequence[Any], prefix: str, level: str) -> list[JSON6902Source]:
    return [
        JSON6902Source(
            label=f"{prefix}kubeadmConfigPatchesJSON6902[{i}] ({level})",
            group=p.group,
            version=p.version,
            kind=p.kind,
            patch=p.patch,
        )
        for i, p in enumerate(patches)
    ]


def _merge_sources(patches: Sequence[str], prefix: str, level: str) -> list[MergePatchSource]:
    return [
        MergePatchSource(label=f"{prefix}kubeadmConfigPatches[{i}] ({level})", raw=raw)
        for i, raw in enumerate(patches)
    ]


_Round = tuple[list[MergePatchSource], list[JSON6902Source]]


def _rounds(cluster: ClusterConfig, node: NodeConfig, extra_patches: Sequence[str]) -> list[_Round]:
    """The patch rounds in upstream's order: cluster level (always), node level (only when
    the node has patches), then patches handed in by plugins."""
    rounds: list[_Round] = [
        (
            _merge_sources(cluster.kubeadm_config_patches, "", "cluster level"),
            _json6902_sources(cluster.kubeadm_config_patches_json6902, "", "cluster level"),
        )
    ]
    if node.kubeadm_config_patches or node.kubeadm_config_patches_json6902:
        index = _node_index(cluster, node)
        prefix = f"nodes[{index}]." if index is not None else ""
        rounds.append(
            (
                _merge_sources(node.kubeadm_config_patches, prefix, "node level"),
                _json6902_sources(node.kubeadm_config_patches_json6902, prefix, "node level"),
            )
        )
    if extra_patches:
        rounds.append(
            (
                [
                    MergePatchSource(label=f"extra kubeadm patch [{i}] (from a plugin)", raw=raw)
                    for i, raw in enumerate(extra_patches)
                ],
                [],
            )
        )
    return rounds


def node_kubeadm_config(
    cluster: ClusterConfig,
    node: NodeConfig,
    facts: NodeFacts,
    *,
    extra_patches: Sequence[str] = (),
    strict: bool = False,
) -> Rendered:
    """``/kind/kubeadm.conf`` for ``node`` with all patches applied, plus warnings for every
    patch that matched no rendered document.

    ``node`` must be one of ``cluster.nodes`` (to name node-level patches ``nodes[i]...``).
    ``extra_patches`` are merge patches from plugins, applied last. With ``strict``, any such
    warning raises :class:`~pykind.errors.PatchError` instead. Invalid patches always raise it.
    """
    rounds = _rounds(cluster, node, extra_patches)
    cfg = cluster.with_defaults()
    resources = [Resource.from_doc(doc) for doc in kubeadm_documents(cfg, node, facts)]
    proxy_off = ProxyMode(cfg.networking.kube_proxy_mode) == ProxyMode.NONE
    warnings: list[str] = []
    for merges, json6902 in rounds:
        # like upstream, each round re-reads kind/apiVersion from the documents
        resources = [Resource.from_doc(r.doc) for r in resources]
        rendered = describe_documents(resources)
        report = apply_patches(resources, merges, json6902)
        for unmatched in report.unmatched:
            extra = ""
            if unmatched.kind == "KubeProxyConfiguration" and proxy_off:
                extra = "kube-proxy is disabled (networking.kubeProxyMode: none)."
            warnings.append(unmatched_message(unmatched, rendered, extra))
        warnings.extend(report.ignored)
    if strict and warnings:
        raise patch_error("\n".join(warnings))
    return Rendered(text=encode_documents([r.doc for r in resources]), warnings=tuple(warnings))
