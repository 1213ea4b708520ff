"""Cluster-wide validation of a config with defaults applied (upstream's ``Cluster.Validate``).

Single values are checked by the models (:mod:`pykind.config.models`); this module re-checks them
(a config may have been changed after it was built) and adds the rules that need several fields:
subnet families, node hostnames, host port conflicts, at least one control plane.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from pykind.config import validators as v
from pykind.config.problems import PathPart, config_error, format_path, from_validation_error
from pykind.errors import PatchError

if TYPE_CHECKING:
    from pykind.config.models import ClusterConfig, Networking, PatchJSON6902

ROLE_SUFFIXES = ("control-plane", "worker")
LOAD_BALANCER_SUFFIX = "external-load-balancer"


def validate_cluster(config: ClusterConfig) -> list[str]:
    """Raise ConfigError for the first problem of ``config``; return warnings."""
    _revalidate_fields(config)
    _check_name(config)
    net = config.networking
    warnings = _check_api_server(net)
    _check_subnets(net)
    for index, node in enumerate(config.nodes):
        if not node.image:
            raise config_error(("nodes", index, "image"), "image is a required field")
    _check_host_ports(config)
    if not config.control_planes:
        raise config_error(("nodes",), "must have at least one control-plane node")
    _check_patches(config)
    return warnings


def _revalidate_fields(config: ClusterConfig) -> None:
    """Run the models' own checks again: the config may have been changed since it was built."""
    try:
        type(config).model_validate(config.model_dump(by_alias=True, mode="python"))
    except ValidationError as exc:
        raise from_validation_error(exc, type(config)) from None


def node_hostnames(config: ClusterConfig) -> list[str]:
    """The hostnames upstream gives the cluster's containers (``<name>-control-plane2``...)."""
    counts = {role: 0 for role in ROLE_SUFFIXES}
    names: list[str] = []
    for node in config.nodes:
        role = node.role.value
        counts[role] += 1
        suffix = "" if counts[role] == 1 else str(counts[role])
        names.append(f"{config.name}-{role}{suffix}")
    if counts["control-plane"] > 1:
        names.append(f"{config.name}-{LOAD_BALANCER_SUFFIX}")
    return names


def _check_name(config: ClusterConfig) -> None:
    try:
        v.check_cluster_name(config.name)
        for hostname in node_hostnames(config):
            v.check_hostname(hostname, config.name)
    except ValueError as exc:
        raise config_error(("name",), str(exc)) from None


def _check_api_server(net: Networking) -> list[str]:
    address = net.api_server_address
    if not address:
        return []
    ip = v.parse_ip(address)
    if ip.is_loopback:
        return []
    # upstream's wording (its configuration guide): kind itself never warns at run time
    return [
        f"networking.apiServerAddress is {address}, not a loopback address: the API server "
        "will be reachable from other machines. It is strongly recommended that you keep "
        "this the default (127.0.0.1) for security reasons. You should really think thrice "
        "before exposing your kind cluster publicly! kind does not ship with state of the art "
        "security or any update strategy (other than disposing your cluster and creating a new "
        "one)! We strongly discourage exposing kind to anything other than loopback."
    ]


def _check_subnets(net: Networking) -> None:
    family = net.ip_family.value
    for field, value in (("podSubnet", net.pod_subnet), ("serviceSubnet", net.service_subnet)):
        path: tuple[PathPart, ...] = ("networking", field)
        if not value:
            raise config_error(path, "must not be empty")
        try:
            networks = v.parse_cidrs(value)
        except ValueError as exc:
            raise config_error(path, str(exc)) from None
        versions = sorted(n.version for n in networks)
        if family == "dual":
            if versions != [4, 6]:
                raise config_error(
                    path,
                    "ipFamily dual needs one IPv4 and one IPv6 CIDR, comma-separated, "
                    f"got {v.show(value)}",
                )
        elif len(networks) != 1:
            raise config_error(
                path,
                f"only one CIDR allowed for single-stack ipFamily {family}, got {v.show(value)}",
            )
        elif versions[0] != (4 if family == "ipv4" else 6):
            wanted = "IPv4" if family == "ipv4" else "IPv6"
            raise config_error(
                path, f"expected an {wanted} CIDR for ipFamily {family}, got {v.show(value)}"
            )
    pods = v.parse_cidrs(net.pod_subnet)
    for service in v.parse_cidrs(net.service_subnet):
        for pod in pods:
            if service.version == pod.version and _overlap(service, pod):
                raise config_error(
                    ("networking", "serviceSubnet"),
                    f"{service} overlaps the pod subnet {pod}",
                )


def _overlap(
    a: ipaddress.IPv4Network | ipaddress.IPv6Network,
    b: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> bool:
    return a.network_address in b or b.network_address in a


@dataclass(frozen=True)
class _Binding:
    where: str
    port: int
    protocol: str
    address: str


def _same_address(a: str, b: str) -> bool:
    """Two listen addresses clash if equal or either is a wildcard (as upstream)."""
    if v.is_wildcard(a) or v.is_wildcard(b):
        return True
    return v.parse_ip(a) == v.parse_ip(b)


def _check_host_ports(config: ClusterConfig) -> None:
    """No two port mappings (on any nodes) nor the API server may bind the same host port."""
    net = config.networking
    bindings: list[_Binding] = []
    if net.api_server_port > 0:
        bindings.append(
            _Binding("networking.apiServerPort", net.api_server_port, "TCP", net.api_server_address)
        )
    for i, node in enumerate(config.nodes):
        for j, mapping in enumerate(node.extra_port_mappings):
            if mapping.host_port in (0, -1):
                continue  # a random port each: never a conflict
            path = ("nodes", i, "extraPortMappings", j)
            protocol = mapping.protocol.value
            address = mapping.listen_address or (
                "::" if net.ip_family.value == "ipv6" else "0.0.0.0"
            )
            for other in bindings:
                if (
                    other.port == mapping.host_port
                    and other.protocol == protocol
                    and _same_address(other.address, address)
                ):
                    raise config_error(
                        (*path, "hostPort"),
                        f"host port {mapping.host_port}/{protocol} on {address} is already used "
                        f"by {other.where} ({other.address})",
                    )
            bindings.append(_Binding(format_path(path), mapping.host_port, protocol, address))


#: The smallest containerd config the containerd patcher accepts: patches are parsed against it
#: (whether they apply is only known on a real node).
_CONTAINERD_PLACEHOLDER = "version = 2\n"


def _check_patches(config: ClusterConfig) -> None:
    """Every patch string parses, with the same parsers that apply them later (so a config is
    never accepted here and refused at creation, or the reverse)."""
    from pykind.containerd.patch import patch_containerd_config
    from pykind.patches.kube import (
        JSON6902Source,
        MergePatchSource,
        parse_json6902_patches,
        parse_merge_patches,
    )
    from pykind.patches.types import PatchApplyError

    scopes: list[tuple[tuple[PathPart, ...], list[str], list[PatchJSON6902]]] = [
        ((), config.kubeadm_config_patches, config.kubeadm_config_patches_json6902)
    ]
    for i, node in enumerate(config.nodes):
        scopes.append(
            (("nodes", i), node.kubeadm_config_patches, node.kubeadm_config_patches_json6902)
        )
    for prefix, merge, json6902 in scopes:
        for j, raw in enumerate(merge):
            path = (*prefix, "kubeadmConfigPatches", j)
            with _patch_field(path):
                parse_merge_patches([MergePatchSource(label=format_path(path), raw=raw)])
        for j, p in enumerate(json6902):
            path = (*prefix, "kubeadmConfigPatchesJSON6902", j, "patch")
            source = JSON6902Source(format_path(path), p.group, p.version, p.kind, p.patch)
            with _patch_field(path):
                parse_json6902_patches([source])
    for field, patches in (
        ("containerdConfigPatches", config.containerd_config_patches),
        ("containerdConfigPatchesJSON6902", config.containerd_config_patches_json6902),
    ):
        for j, raw in enumerate(patches):
            path = (field, j)
            merge_patches, json_patches = (
                ([raw], []) if field == "containerdConfigPatches" else ([], [raw])
            )
            try:
                with _patch_field(path, index=j):
                    patch_containerd_config(_CONTAINERD_PLACEHOLDER, merge_patches, json_patches)
            except PatchApplyError:
                continue  # parses, but needs the node's real config to apply


@contextmanager
def _patch_field(path: tuple[PathPart, ...], *, index: int | None = None) -> Iterator[None]:
    """Re-raise the patch engine's PatchError with ``path`` as the field (the message without
    its own copy of the name)."""
    from pykind.patches.types import PatchApplyError

    try:
        yield
    except PatchApplyError:
        raise
    except RecursionError:
        raise PatchError("the patch is nested too deeply", field=format_path(path)) from None
    except PatchError as exc:
        label = format_path(path)
        message = str(exc)
        for name in (label, format_path((path[0], 0)) if index is not None else label):
            if message.startswith(name):
                message = message[len(name) :].lstrip(":, ").removeprefix("is ")
                break
        raise PatchError(v.one_line(message) or "invalid patch", field=label) from None
