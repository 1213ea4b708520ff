"""Registers the docker node provider (an entry point, like any third-party plugin).

Nothing here imports the docker SDK: detection pings the socket directly (``DOCKER_HOST`` or
the default socket) and the provider module is imported only when a provider is built.
"""

from __future__ import annotations

from pykind.runtime.engine_plugin import EnginePlugin

PLUGIN = EnginePlugin(
    name="docker",
    priority=10,
    description="Docker Engine through the docker SDK (DOCKER_HOST or the local socket)",
    endpoint="pykind_docker.endpoint:default_endpoint",
    provider="pykind_docker.provider:DockerProvider",
)

pykind_configure = PLUGIN.pykind_configure
pykind_node_providers = PLUGIN.pykind_node_providers
is_available = PLUGIN.is_available
create_provider = PLUGIN.create_provider
