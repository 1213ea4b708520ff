"""Config changes add-ons make before provisioning (``AddonSpec.prepare``), and helpers for them.

The result is still a plain upstream ``kind.x-k8s.io/v1alpha4`` config: add-ons add port mappings,
node labels and containerd patches, never new fields.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from pykind.addons.options import Selection, get_spec, resolve_selection
from pykind.config.models import ClusterConfig, Node, NodeRole, PortMapping, PortProtocol
from pykind.errors import AddonError, ConfigError, PykindError

if TYPE_CHECKING:
    from pykind.plugin.manager import PykindPluginManager


def first_control_plane(config: ClusterConfig) -> Node:
    """The node that becomes ``<cluster>-control-plane`` (the first control plane in the list)."""
    for node in config.nodes:
        if node.role == NodeRole.CONTROL_PLANE:
            return node
    raise ConfigError("the config has no control-plane node", field="nodes")


def _overlaps(a: str, b: str) -> bool:
    """Whether two listen addresses can clash (the unspecified address clashes with all)."""
    try:
        ia, ib = ipaddress.ip_address(a or "0.0.0.0"), ipaddress.ip_address(b or "0.0.0.0")
    except ValueError:
        return a == b
    return ia.is_unspecified or ib.is_unspecified or ia == ib


def add_port_mapping(
    config: ClusterConfig,
    node: Node,
    *,
    container_port: int,
    host_port: int,
    listen_address: str = "0.0.0.0",
    protocol: str = "TCP",
    owner: str = "",
) -> bool:
    """Map ``host_port`` to ``container_port`` on ``node`` (which must belong to ``config``).

    Returns False (and changes nothing) when ``node`` already maps ``container_port``: the
    user's own mapping wins. A host port another mapping already uses is a ConfigError.
    """
    proto = PortProtocol(protocol.upper())
    for existing in node.extra_port_mappings:
        if existing.container_port == container_port and existing.protocol == proto:
            return False
    if host_port:
        for index, other in enumerate(config.nodes):
            for mapping in other.extra_port_mappings:
                if (
                    mapping.host_port == host_port
                    and mapping.protocol == proto
                    and _overlaps(mapping.listen_address, listen_address)
                ):
                    who = f"add-on {owner!r}: " if owner else ""
                    raise ConfigError(
                        f"{who}host port {host_port}/{proto.value} is already mapped "
                        f"(to container port {mapping.container_port})",
                        field=f"nodes[{index}].extraPortMappings",
                    )
    node.extra_port_mappings.append(
        PortMapping(
            container_port=container_port,
            host_port=host_port,
            listen_address=listen_address,
            protocol=proto,
        )
    )
    return True


def add_node_label(node: Node, key: str, value: str, *, owner: str = "") -> None:
    """Set a node label; an existing different value for ``key`` is a ConfigError."""
    current = node.labels.get(key)
    if current is not None and current != value:
        who = f"add-on {owner!r} " if owner else ""
        raise ConfigError(f"{who}needs node label {key}={value}, but the config sets {current!r}")
    node.labels[key] = value


def add_containerd_patch(config: ClusterConfig, patch: str) -> None:
    """Append a containerd config patch (TOML) unless the same text is already there."""
    if patch.strip() not in (p.strip() for p in config.containerd_config_patches):
        config.containerd_config_patches.append(patch)


def _revalidate(name: str, config: Any) -> ClusterConfig:
    if not isinstance(config, ClusterConfig):
        raise AddonError(f"add-on {name!r}: prepare must return a ClusterConfig")
    try:
        return ClusterConfig.model_validate(config.model_dump(by_alias=True, warnings=False))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise AddonError(f"add-on {name!r} made an invalid config: {where}: {err['msg']}") from None


def prepare_config(
    pm: PykindPluginManager, config: ClusterConfig, selected: Selection | None
) -> ClusterConfig:
    """Apply each selected add-on's ``prepare`` in selection order, on a copy of ``config``.

    ``selected`` maps add-on names to options (raw mappings are validated first). The input
    config is never changed.
    """
    validated = resolve_selection(pm, selected)
    result = config.model_copy(deep=True)
    for name, options in validated.items():
        spec = get_spec(pm, name)
        if spec.prepare is None:
            continue
        try:
            changed = spec.prepare(result.model_copy(deep=True), options)
        except PykindError:
            raise
        except Exception as exc:
            raise AddonError(f"add-on {name!r} failed to prepare the config: {exc}") from exc
        result = _revalidate(name, changed)
    return result
