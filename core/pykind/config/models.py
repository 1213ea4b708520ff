"""pydantic models of upstream kind's ``kind.x-k8s.io/v1alpha4`` ``Cluster`` config.

Field names are upstream's camelCase in YAML (aliases) and snake_case in Python. Unknown fields
are errors, as in upstream's strict decoding. Defaults are upstream's; defaults that depend on
other fields (subnets, API server address) are filled by :meth:`ClusterConfig.with_defaults`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

API_VERSION = "kind.x-k8s.io/v1alpha4"
KIND = "Cluster"
DEFAULT_CLUSTER_NAME = "kind"
#: The node image upstream kind v0.32.0 defaults to, pinned by digest.
DEFAULT_NODE_IMAGE = (
    "kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5"
)
DEFAULT_POD_SUBNET_V4 = "10.244.0.0/16"
DEFAULT_SERVICE_SUBNET_V4 = "10.96.0.0/16"
DEFAULT_POD_SUBNET_V6 = "fd00:10:244::/56"
DEFAULT_SERVICE_SUBNET_V6 = "fd00:10:96::/112"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)

    def to_yaml_dict(self) -> dict[str, Any]:
        """The upstream (camelCase) form, without unset optional fields."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class NodeRole(str, Enum):
    CONTROL_PLANE = "control-plane"
    WORKER = "worker"


class IPFamily(str, Enum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DUAL = "dual"


class ProxyMode(str, Enum):
    IPTABLES = "iptables"
    IPVS = "ipvs"
    NFTABLES = "nftables"
    NONE = "none"


class PortProtocol(str, Enum):
    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"


class MountPropagation(str, Enum):
    NONE = "None"
    HOST_TO_CONTAINER = "HostToContainer"
    BIDIRECTIONAL = "Bidirectional"


class Mount(_Model):
    container_path: str = Field(alias="containerPath")
    host_path: str = Field(alias="hostPath")
    read_only: bool = Field(False, alias="readOnly")
    selinux_relabel: bool = Field(False, alias="selinuxRelabel")
    propagation: MountPropagation = MountPropagation.NONE


class PortMapping(_Model):
    container_port: int = Field(alias="containerPort")
    #: 0 (or unset) picks a random free host port, as upstream.
    host_port: int = Field(0, alias="hostPort")
    #: Upstream's default listen address is all interfaces.
    listen_address: str = Field("0.0.0.0", alias="listenAddress")
    protocol: PortProtocol = PortProtocol.TCP


class PatchJSON6902(_Model):
    group: str = ""
    version: str
    kind: str
    #: An RFC 6902 patch as a YAML or JSON string, as upstream.
    patch: str


class Node(_Model):
    role: NodeRole = NodeRole.CONTROL_PLANE
    image: str = DEFAULT_NODE_IMAGE
    labels: dict[str, str] = Field(default_factory=dict)
    extra_mounts: list[Mount] = Field(default_factory=list, alias="extraMounts")
    extra_port_mappings: list[PortMapping] = Field(default_factory=list, alias="extraPortMappings")
    kubeadm_config_patches: list[str] = Field(default_factory=list, alias="kubeadmConfigPatches")
    kubeadm_config_patches_json6902: list[PatchJSON6902] = Field(
        default_factory=list, alias="kubeadmConfigPatchesJSON6902"
    )


class Networking(_Model):
    ip_family: IPFamily = Field(IPFamily.IPV4, alias="ipFamily")
    #: 0 picks a random free port, as upstream.
    api_server_port: int = Field(0, alias="apiServerPort")
    #: Empty means loopback for the family (127.0.0.1 or ::1).
    api_server_address: str = Field("", alias="apiServerAddress")
    pod_subnet: str = Field("", alias="podSubnet")
    service_subnet: str = Field("", alias="serviceSubnet")
    disable_default_cni: bool = Field(False, alias="disableDefaultCNI")
    kube_proxy_mode: ProxyMode = Field(ProxyMode.IPTABLES, alias="kubeProxyMode")
    dns_search: list[str] | None = Field(None, alias="dnsSearch")


class ClusterConfig(_Model):
    kind: str = KIND
    api_version: str = Field(API_VERSION, alias="apiVersion")
    name: str = ""
    nodes: list[Node] = Field(default_factory=lambda: [Node()])
    networking: Networking = Field(default_factory=lambda: Networking())
    feature_gates: dict[str, bool] = Field(default_factory=dict, alias="featureGates")
    runtime_config: dict[str, str] = Field(default_factory=dict, alias="runtimeConfig")
    kubeadm_config_patches: list[str] = Field(default_factory=list, alias="kubeadmConfigPatches")
    kubeadm_config_patches_json6902: list[PatchJSON6902] = Field(
        default_factory=list, alias="kubeadmConfigPatchesJSON6902"
    )
    containerd_config_patches: list[str] = Field(
        default_factory=list, alias="containerdConfigPatches"
    )
    containerd_config_patches_json6902: list[str] = Field(
        default_factory=list, alias="containerdConfigPatchesJSON6902"
    )

    def with_defaults(self) -> ClusterConfig:
        """A copy with the defaults that depend on other fields filled in (upstream's
        ``SetDefaultsCluster``): cluster name, subnets and API server address by IP family."""
        cfg = self.model_copy(deep=True)
        if not cfg.name:
            cfg.name = DEFAULT_CLUSTER_NAME
        net = cfg.networking
        family = net.ip_family
        if not net.pod_subnet:
            net.pod_subnet = {
                IPFamily.IPV4: DEFAULT_POD_SUBNET_V4,
                IPFamily.IPV6: DEFAULT_POD_SUBNET_V6,
                IPFamily.DUAL: f"{DEFAULT_POD_SUBNET_V4},{DEFAULT_POD_SUBNET_V6}",
            }[family]
        if not net.service_subnet:
            net.service_subnet = {
                IPFamily.IPV4: DEFAULT_SERVICE_SUBNET_V4,
                IPFamily.IPV6: DEFAULT_SERVICE_SUBNET_V6,
                IPFamily.DUAL: f"{DEFAULT_SERVICE_SUBNET_V4},{DEFAULT_SERVICE_SUBNET_V6}",
            }[family]
        if not net.api_server_address:
            net.api_server_address = "::1" if family == IPFamily.IPV6 else "127.0.0.1"
        return cfg

    @property
    def control_planes(self) -> list[Node]:
        return [n for n in self.nodes if n.role == NodeRole.CONTROL_PLANE]

    @property
    def workers(self) -> list[Node]:
        return [n for n in self.nodes if n.role == NodeRole.WORKER]
