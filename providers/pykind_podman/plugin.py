"""Registers the podman node provider (an entry point, like any third-party plugin).

Nothing here imports the podman SDK: detection pings the socket directly and the provider
module is imported only when a provider is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pykind.plugin import hookimpl
from pykind.plugin.types import NodeProviderSpec

if TYPE_CHECKING:
    from pykind.runtime.protocols import NodeProvider

#: Seconds the availability probe may take.
PROBE_TIMEOUT = 1.0
#: The plugin manager that configured this plugin last: providers built by the factory ask
#: its ``pykind_network_name`` hook for the network name.
_plugin_manager: Any = None


@hookimpl
def pykind_configure(pm: Any) -> None:
    global _plugin_manager
    _plugin_manager = pm


def is_available() -> bool:
    """True when the Podman API service answers on ``CONTAINER_HOST`` (or the default socket)."""
    from pykind.runtime.engine_net import ping
    from pykind_podman.endpoint import default_endpoint

    return ping(default_endpoint(), timeout=PROBE_TIMEOUT)


def create_provider() -> NodeProvider:
    from pykind_podman.provider import PodmanProvider

    return PodmanProvider(plugin_manager=_plugin_manager)


@hookimpl
def pykind_node_providers() -> Iterator[NodeProviderSpec]:
    yield NodeProviderSpec(
        name="podman",
        factory=create_provider,
        is_available=is_available,
        priority=20,
        description="Podman through the podman SDK (CONTAINER_HOST or the podman.sock service)",
    )
