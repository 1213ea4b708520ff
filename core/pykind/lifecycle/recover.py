"""What an existing cluster remembers about itself, read back from its nodes.

Upstream kind keeps no state outside the containers, and neither does pykind: the cluster
config a node was created with survives in ``/kind/kubeadm.conf`` (networking, feature gates,
runtime config, kube-proxy mode, node IPs), and the lifecycle commands record the node IPs
they saw in ``/kind/pykind/node-ips.json`` so that a restart can tell when they changed.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from pykind.cluster.nodes import read_file, write_file
from pykind.config.models import ClusterConfig, IPFamily, ProxyMode
from pykind.errors import NodeCommandError, PykindError
from pykind.kubeadm import KUBEADM_CONFIG_PATH
from pykind.runtime.protocols import Node

#: Where the lifecycle commands record the addresses a node had when last seen running.
IPS_RECORD = "/kind/pykind/node-ips.json"


@dataclass(frozen=True)
class NodeIPs:
    """A node's addresses on the cluster network ("" when it has none of a family)."""

    ipv4: str = ""
    ipv6: str = ""

    def changes(self, current: NodeIPs) -> list[tuple[str, str]]:
        """``(old, new)`` pairs for every family whose address changed."""
        pairs = [(self.ipv4, current.ipv4), (self.ipv6, current.ipv6)]
        return [(old, new) for old, new in pairs if old and new and old != new]


def kubeadm_documents(node: Node) -> dict[str, dict[str, Any]]:
    """The documents of the node's ``/kind/kubeadm.conf`` by kind (empty when absent)."""
    try:
        text = read_file(node, KUBEADM_CONFIG_PATH)
    except NodeCommandError:
        return {}
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise PykindError(
            f"{KUBEADM_CONFIG_PATH} of node {node.name!r} is not YAML: {exc}"
        ) from exc
    return {str(d["kind"]): d for d in docs if isinstance(d, dict) and d.get("kind")}


def _arg(args: Any, name: str) -> str | None:
    """A component argument from kubeadm's map form or its v1beta4 list form."""
    if isinstance(args, Mapping):
        value = args.get(name)
        return None if value is None else str(value)
    if isinstance(args, list):
        for item in args:
            if isinstance(item, Mapping) and item.get("name") == name:
                return str(item.get("value", ""))
    return None


def _pairs(flag: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in (flag or "").split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def _family(service_subnet: str) -> IPFamily:
    subnets = [s.strip() for s in service_subnet.split(",") if s.strip()]
    if len(subnets) > 1:
        return IPFamily.DUAL
    try:
        if subnets and ipaddress.ip_network(subnets[0], strict=False).version == 6:
            return IPFamily.IPV6
    except ValueError:
        pass
    return IPFamily.IPV4


def recover_config(
    node: Node, cluster: str, *, roles: Iterable[str] = ("control-plane",)
) -> ClusterConfig:
    """The cluster config ``node`` was created with, as far as its kubeadm config tells:
    name, networking (subnets, IP family, kube-proxy mode, API server address), feature gates
    and runtime config. Config patches are not recoverable (they are already applied)."""
    docs = kubeadm_documents(node)
    cluster_doc = docs.get("ClusterConfiguration")
    if cluster_doc is None:
        raise PykindError(
            f"node {node.name!r} has no kubeadm ClusterConfiguration in {KUBEADM_CONFIG_PATH}; "
            "was it created by kind?"
        )
    networking = cluster_doc.get("networking") or {}
    api_server = cluster_doc.get("apiServer") or {}
    sans = [str(s) for s in api_server.get("certSANs") or () if str(s) != "localhost"]
    gates = {
        k: v.lower() == "true"
        for k, v in _pairs(_arg(api_server.get("extraArgs"), "feature-gates")).items()
    }
    gates.pop("KubeletInUserNamespace", None)  # added again for rootless providers
    proxy = docs.get("KubeProxyConfiguration")
    mode = str(proxy.get("mode") or ProxyMode.IPTABLES.value) if proxy else ProxyMode.NONE.value
    service_subnet = str(networking.get("serviceSubnet") or "")
    raw: dict[str, Any] = {
        "name": cluster,
        "nodes": [{"role": role} for role in roles] or [{"role": "control-plane"}],
        "networking": {
            "ipFamily": _family(service_subnet).value,
            "podSubnet": str(networking.get("podSubnet") or ""),
            "serviceSubnet": service_subnet,
            "kubeProxyMode": mode,
            "apiServerAddress": sans[0] if sans else "",
        },
        "featureGates": gates,
        "runtimeConfig": _pairs(_arg(api_server.get("extraArgs"), "runtime-config")),
    }
    return ClusterConfig.model_validate(raw).with_defaults()


def kubeadm_node_ips(node: Node) -> NodeIPs | None:
    """The addresses ``node`` was configured with (kubelet ``node-ip`` in its kubeadm config)."""
    docs = kubeadm_documents(node)
    for kind in ("JoinConfiguration", "InitConfiguration"):
        registration = (docs.get(kind) or {}).get("nodeRegistration") or {}
        value = _arg(registration.get("kubeletExtraArgs"), "node-ip")
        if value:
            return _split_ips(value.split(","))
    return None


def _split_ips(values: Iterable[str]) -> NodeIPs:
    v4 = v6 = ""
    for value in values:
        try:
            version = ipaddress.ip_address(value.strip()).version
        except ValueError:
            continue
        if version == 4 and not v4:
            v4 = value.strip()
        elif version == 6 and not v6:
            v6 = value.strip()
    return NodeIPs(v4, v6)


def recorded_ips(node: Node) -> NodeIPs | None:
    """The addresses recorded in the node by a lifecycle command, else the ones in its
    kubeadm config; None when neither exists."""
    result = node.run(["cat", IPS_RECORD], check=False)
    if result.returncode == 0:
        try:
            data = json.loads(result.text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return _split_ips([str(data.get("ipv4", "")), str(data.get("ipv6", ""))])
    return kubeadm_node_ips(node)


def current_ips(node: Node) -> NodeIPs:
    ipv4, ipv6 = node.ip()
    return _split_ips([ipv4, ipv6])


def record_ips(node: Node, ips: NodeIPs | None = None) -> None:
    """Record the node's addresses (now) inside the node."""
    ips = ips or current_ips(node)
    write_file(node, IPS_RECORD, json.dumps({"ipv4": ips.ipv4, "ipv6": ips.ipv6}) + "\n")
