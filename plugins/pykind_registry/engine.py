"""The registry container, created through the node provider's own engine client.

Providers built on the docker or podman SDK expose that client as ``provider.client`` (the
documented contract this add-on relies on); both SDKs offer the calls used here. The container
joins the nodes' network the way kind's guide does it: created on the engine's default network,
then connected to the cluster network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pykind.errors import AddonError, ProviderError
from pykind.runtime.protocols import NodeProvider

#: Label marking containers made by this add-on (never the cluster label: it is no node).
ADDON_LABEL = "dev.pykind.addon"

_NOT_FOUND = {"NotFound", "ImageNotFound", "NotFoundError"}


def is_not_found(exc: BaseException) -> bool:
    """True for the docker and podman SDKs' "no such object" errors."""
    return any(cls.__name__ in _NOT_FOUND for cls in type(exc).__mro__)


def engine_client(provider: NodeProvider) -> Any:
    """The provider's SDK client (``provider.client``)."""
    client = getattr(provider, "client", None)
    if client is None or not hasattr(client, "containers"):
        raise AddonError(
            f"the {provider.name!r} provider does not expose a docker- or podman-compatible "
            "engine client (provider.client); the registry add-on cannot create its container"
        )
    return client


@dataclass(frozen=True, slots=True)
class SideContainer:
    """A long-running helper container published on the host (the registry)."""

    name: str
    image: str
    #: container port (e.g. ``5000/tcp``) -> (host address, host port)
    ports: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)


def _get(client: Any, name: str) -> Any | None:
    try:
        return client.containers.get(name)
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise ProviderError(f"cannot inspect container {name!r}: {exc}") from exc


def ensure_container(provider: NodeProvider, spec: SideContainer) -> bool:
    """Create and start ``spec`` unless a container of that name exists (then start it if
    stopped). Returns True when it was created."""
    client = engine_client(provider)
    existing = _get(client, spec.name)
    if existing is not None:
        if getattr(existing, "status", "") != "running":
            try:
                existing.start()
            except Exception as exc:
                raise ProviderError(f"cannot start container {spec.name!r}: {exc}") from exc
        return False
    if not provider.image_id(spec.image):
        provider.pull_image(spec.image)
    try:
        client.containers.run(
            spec.image,
            name=spec.name,
            detach=True,
            ports=dict(spec.ports),
            labels=dict(spec.labels),
            restart_policy={"Name": "always"},
        )
    except Exception as exc:
        raise ProviderError(f"cannot create container {spec.name!r}: {exc}") from exc
    return True


def container_networks(provider: NodeProvider, name: str) -> list[str]:
    """Names of the networks container ``name`` is attached to ([] when it does not exist)."""
    container = _get(engine_client(provider), name)
    if container is None:
        return []
    container.reload()
    networks = (container.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    return sorted(networks)


def connect(provider: NodeProvider, name: str, network: str) -> bool:
    """Attach container ``name`` to ``network`` unless it already is; True when attached now."""
    if network in container_networks(provider, name):
        return False
    client = engine_client(provider)
    try:
        client.networks.get(network).connect(name)
    except Exception as exc:
        raise ProviderError(f"cannot connect {name!r} to network {network!r}: {exc}") from exc
    return True


def remove_container(provider: NodeProvider, name: str) -> bool:
    """Force-remove container ``name``; False when it did not exist."""
    container = _get(engine_client(provider), name)
    if container is None:
        return False
    try:
        container.remove(force=True, v=True)
    except Exception as exc:
        if is_not_found(exc):
            return False
        raise ProviderError(f"cannot remove container {name!r}: {exc}") from exc
    return True
