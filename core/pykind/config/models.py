"""pydantic models of upstream kind's ``kind.x-k8s.io/v1alpha4`` ``Cluster`` config.

Field names are upstream's camelCase in YAML (aliases) and snake_case in Python. Unknown fields
are errors, as in upstream's strict decoding. Defaults are upstream's; defaults that depend on
other fields (subnets, API server address) are filled by :meth:`ClusterConfig.with_defaults`.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from pykind.config import validators as v

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


#: Value types with upstream's rules (see :mod:`pykind.config.validators`).
LabelKey = Annotated[str, AfterValidator(v.check_label_key)]
LabelValue = Annotated[str, AfterValidator(v.check_label_value)]


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
    #: Absolute path inside the node container.
    container_path: Annotated[str, AfterValidator(v.check_container_path)] = Field(
        alias="containerPath"
    )
    #: Path on the host; a relative path resolves against the config file's folder.
    host_path: Annotated[str, AfterValidator(v.check_host_path)] = Field(alias="hostPath")
    read_only: bool = Field(False, alias="readOnly")
    selinux_relabel: bool = Field(False, alias="selinuxRelabel")
    propagation: MountPropagation = MountPropagation.NONE


class PortMapping(_Model):
    container_port: Annotated[int, AfterValidator(v.check_container_port)] = Field(
        alias="containerPort"
    )
    #: 0 (or unset) picks a random free host port, as upstream. Upstream's -1 ("the engine
    #: picks") is accepted and becomes 0 when defaults are applied.
    host_port: Annotated[int, AfterValidator(v.check_port)] = Field(0, alias="hostPort")
    #: Empty until defaults are applied: all interfaces (``0.0.0.0``, or ``::`` for an ipv6
    #: cluster), as upstream.
    listen_address: Annotated[str, AfterValidator(v.check_ip)] = Field("", alias="listenAddress")
    #: Case-insensitive in YAML (upstream upper-cases it).
    protocol: PortProtocol = PortProtocol.TCP

    @field_validator("protocol", mode="before")
    @classmethod
    def _upper_protocol(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class PatchJSON6902(_Model):
    group: str = ""
    #: Empty matches every version (upstream).
    version: str = ""
    kind: str
    #: An RFC 6902 patch as a YAML or JSON string, as upstream. Patch strings are parsed when a
    #: config is loaded (:meth:`ClusterConfig.check`), not when a model is built.
    patch: str


class Node(_Model):
    role: NodeRole = NodeRole.CONTROL_PLANE
    #: Empty means the default image (filled by :meth:`ClusterConfig.with_defaults`).
    image: Annotated[str, AfterValidator(v.check_image)] = DEFAULT_NODE_IMAGE
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    extra_mounts: list[Mount] = Field(default_factory=list, alias="extraMounts")
    extra_port_mappings: list[PortMapping] = Field(default_factory=list, alias="extraPortMappings")
    kubeadm_config_patches: list[str] = Field(default_factory=list, alias="kubeadmConfigPatches")
    kubeadm_config_patches_json6902: list[PatchJSON6902] = Field(
        default_factory=list, alias="kubeadmConfigPatchesJSON6902"
    )


class Networking(_Model):
    ip_family: IPFamily = Field(IPFamily.IPV4, alias="ipFamily")
    #: 0 picks a random free port, as upstream; -1 is accepted and becomes 0 (see hostPort).
    api_server_port: Annotated[int, AfterValidator(v.check_port)] = Field(0, alias="apiServerPort")
    #: Empty means loopback for the family (127.0.0.1 or ::1).
    api_server_address: Annotated[str, AfterValidator(v.check_ip)] = Field(
        "", alias="apiServerAddress"
    )
    #: One CIDR, or two (one per family, comma-separated) for a dual-stack cluster.
    pod_subnet: Annotated[str, AfterValidator(v.check_cidrs)] = Field("", alias="podSubnet")
    service_subnet: Annotated[str, AfterValidator(v.check_cidrs)] = Field("", alias="serviceSubnet")
    disable_default_cni: bool = Field(False, alias="disableDefaultCNI")
    kube_proxy_mode: ProxyMode = Field(ProxyMode.IPTABLES, alias="kubeProxyMode")
    dns_search: list[str] | None = Field(None, alias="dnsSearch")


class ClusterConfig(_Model):
    kind: str = KIND
    api_version: str = Field(API_VERSION, alias="apiVersion")
    #: Empty means "kind" (or the ``--name`` flag / KIND_CLUSTER_NAME, which win).
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

    @field_validator("kind")
    @classmethod
    def _check_kind(cls, value: str) -> str:
        if value != KIND:
            raise ValueError(f"unknown kind {v.show(value)} (expected {KIND})")
        return value

    @field_validator("api_version")
    @classmethod
    def _check_api_version(cls, value: str) -> str:
        if value != API_VERSION:
            raise ValueError(f"unsupported apiVersion {v.show(value)} (expected {API_VERSION})")
        return value

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return v.check_cluster_name(value) if value else value

    def with_defaults(self) -> ClusterConfig:
        """A copy with the defaults that depend on other fields filled in (upstream's
        ``SetDefaultsCluster``): cluster name, subnets and API server address by IP family."""
        cfg = self.model_copy(deep=True)
        if not cfg.name:
            cfg.name = DEFAULT_CLUSTER_NAME
        if not cfg.nodes:
            cfg.nodes = [Node()]
        net = cfg.networking
        family = net.ip_family
        for node in cfg.nodes:
            if not node.image:
                node.image = DEFAULT_NODE_IMAGE
            for mapping in node.extra_port_mappings:
                if not mapping.listen_address:
                    mapping.listen_address = "::" if family == IPFamily.IPV6 else "0.0.0.0"
                if mapping.host_port == -1:
                    mapping.host_port = 0  # "the engine picks": a random port all the same
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
        if net.api_server_port == -1:
            net.api_server_port = 0
        if not net.api_server_address:
            net.api_server_address = "::1" if family == IPFamily.IPV6 else "127.0.0.1"
        return cfg

    def check(self) -> list[str]:
        """Upstream's ``Cluster.Validate`` and more, on a config with defaults applied.

        Raises :class:`~pykind.errors.ConfigError` (naming the field) for the first problem;
        returns warnings (e.g. an API server reachable from other machines).
        """
        from pykind.config.validate import validate_cluster

        return validate_cluster(self)

    @property
    def control_planes(self) -> list[Node]:
        return [n for n in self.nodes if n.role == NodeRole.CONTROL_PLANE]

    @property
    def workers(self) -> list[Node]:
        return [n for n in self.nodes if n.role == NodeRole.WORKER]
