"""The plugin side of a container-engine node provider, shared by docker and podman.

An engine plugin module builds one :class:`EnginePlugin` and exposes its bound methods as the
module's hooks and functions. Nothing here imports an engine SDK: the availability probe pings
the API socket directly, and the provider class is imported only when a provider is built.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pykind.plugin import hookimpl
from pykind.plugin.types import NodeProviderSpec

if TYPE_CHECKING:
    from pykind.runtime.protocols import NodeProvider

#: Seconds the availability probe may take.
PROBE_TIMEOUT = 1.0


def _resolve(target: str) -> Any:
    """The object a ``"package.module:attribute"`` reference names (imported now)."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


class EnginePlugin:
    """Registers one engine's node provider.

    ``endpoint`` and ``provider`` are ``"module:attribute"`` references, imported on first use:
    the engine's default-endpoint function and its provider class.
    """

    def __init__(
        self, *, name: str, priority: int, description: str, endpoint: str, provider: str
    ) -> None:
        self.name = name
        self.priority = priority
        self.description = description
        self.endpoint = endpoint
        self.provider = provider
        #: The plugin manager that configured this plugin last: providers built by the factory
        #: ask its ``pykind_network_name`` hook for the network name.
        self.plugin_manager: Any = None

    @hookimpl
    def pykind_configure(self, pm: Any) -> None:
        self.plugin_manager = pm

    def is_available(self) -> bool:
        """True when the engine's API answers on its endpoint (env or default socket)."""
        from pykind.runtime.engine_net import ping

        return ping(_resolve(self.endpoint)(), timeout=PROBE_TIMEOUT)

    def create_provider(self) -> NodeProvider:
        provider: NodeProvider = _resolve(self.provider)(plugin_manager=self.plugin_manager)
        return provider

    @hookimpl
    def pykind_node_providers(self) -> Iterator[NodeProviderSpec]:
        yield NodeProviderSpec(
            name=self.name,
            factory=self.create_provider,
            is_available=self.is_available,
            priority=self.priority,
            description=self.description,
        )
