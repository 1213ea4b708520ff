"""Stop, start and inspect node containers: what the lifecycle commands need beyond the
:class:`~pykind.runtime.protocols.NodeProvider` protocol.

A provider may offer this itself through a ``container_control()`` method returning a
:class:`ContainerControl`; the docker and podman providers (both built on
:class:`~pykind.runtime.engine.EngineProvider`) get :class:`EngineContainerControl`, which uses
the calls both engine SDKs share (``containers.get(name).stop/start/reload/attrs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pykind.errors import ProviderError

if TYPE_CHECKING:
    from pykind.runtime.engine import EngineProvider
    from pykind.runtime.protocols import Node, NodeProvider

#: Seconds a node gets to shut systemd down before the engine kills it.
DEFAULT_STOP_TIMEOUT = 30


@runtime_checkable
class ContainerControl(Protocol):
    """Power operations on a provider's containers, by container name."""

    def is_running(self, name: str) -> bool:
        """Whether the container is running (False when it is stopped or missing)."""
        ...

    def stop(self, name: str, *, timeout: int = DEFAULT_STOP_TIMEOUT) -> None:
        """Stop the container (its stop signal, then a kill after ``timeout`` seconds)."""
        ...

    def start(self, name: str) -> None:
        """Start the (stopped) container."""
        ...

    def image(self, name: str) -> str:
        """The image the container was created from, as given at creation."""
        ...


class EngineContainerControl:
    """:class:`ContainerControl` for the docker and podman providers."""

    def __init__(self, provider: EngineProvider) -> None:
        self.provider = provider

    def _container(self, name: str) -> Any:
        return self.provider.client.containers.get(name)

    def _attrs(self, name: str) -> dict[str, Any]:
        with self.provider._call(f"inspecting node {name}"):
            return dict(self._container(name).attrs)

    def is_running(self, name: str) -> bool:
        state = self._attrs(name).get("State") or {}
        if isinstance(state, dict):
            return bool(state.get("Running")) or str(state.get("Status", "")) == "running"
        return str(state) == "running"

    def stop(self, name: str, *, timeout: int = DEFAULT_STOP_TIMEOUT) -> None:
        with self.provider._call(f"stopping node {name}"):
            container = self._container(name)
            if self.provider.name == "podman":
                container.stop(timeout=timeout, ignore=True)
            else:
                container.stop(timeout=timeout)

    def start(self, name: str) -> None:
        with self.provider._call(f"starting node {name}"):
            self._container(name).start()

    def image(self, name: str) -> str:
        attrs = self._attrs(name)
        image = (attrs.get("Config") or {}).get("Image") or attrs.get("ImageName") or ""
        if not image:
            raise ProviderError(f"could not tell which image node {name!r} runs")
        return str(image)


def container_control(provider: NodeProvider) -> ContainerControl:
    """The :class:`ContainerControl` of ``provider``; ProviderError when it has none."""
    own = getattr(provider, "container_control", None)
    if callable(own):
        control = own()
        if isinstance(control, ContainerControl):
            return control
    from pykind.runtime.engine import EngineProvider

    if isinstance(provider, EngineProvider):
        return EngineContainerControl(provider)
    raise ProviderError(
        f"the {provider.name} provider cannot stop or start node containers "
        "(it offers no container_control())"
    )


def node_image(provider: NodeProvider, node: Node) -> str:
    """The image ``node`` runs (nodes may expose it as ``image``; else the engine is asked)."""
    image = getattr(node, "image", None)
    if isinstance(image, str) and image:
        return image
    return container_control(provider).image(node.name)
