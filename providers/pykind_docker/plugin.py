"""Registers the docker node provider (an entry point, like any third-party plugin).

Nothing here imports the docker SDK: detection pings the socket directly and the provider
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
    """True when a Docker Engine answers on ``DOCKER_HOST`` (or the default socket)."""
    from pykind.runtime.engine_net import ping
    from pykind_docker.endpoint import default_endpoint

    return ping(default_endpoint(), timeout=PROBE_TIMEOUT)


def create_provider() -> NodeProvider:
    from pykind_docker.provider import DockerProvider

    return DockerProvider(plugin_manager=_plugin_manager)


@hookimpl
def pykind_node_providers() -> Iterator[NodeProviderSpec]:
    yield NodeProviderSpec(
        name="docker",
        factory=create_provider,
        is_available=is_available,
        priority=10,
        description="Docker Engine through the docker SDK (DOCKER_HOST or the local socket)",
    )
