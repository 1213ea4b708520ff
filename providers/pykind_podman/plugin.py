"""Registers the podman node provider (an entry point, like any third-party plugin).

Nothing here imports the podman SDK: detection pings the socket directly (``CONTAINER_HOST``
or the podman.sock service) and the provider module is imported only when a provider is built.
"""

from __future__ import annotations

from pykind.runtime.engine_plugin import EnginePlugin

PLUGIN = EnginePlugin(
    name="podman",
    priority=20,
    description="Podman through the podman SDK (CONTAINER_HOST or the podman.sock service)",
    endpoint="pykind_podman.endpoint:default_endpoint",
    provider="pykind_podman.provider:PodmanProvider",
)

pykind_configure = PLUGIN.pykind_configure
pykind_node_providers = PLUGIN.pykind_node_providers
is_available = PLUGIN.is_available
create_provider = PLUGIN.create_provider
