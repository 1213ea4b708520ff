"""An in-memory provider whose containers can be stopped and started (for lifecycle tests)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pykind import ClusterManager
from pykind.config.models import ClusterConfig, Node, NodeRole
from pykind.plugin.manager import PykindPluginManager, create_plugin_manager
from pykind.testing.fakes import FakeNode, FakeProvider, RecordedCall
from pykind.testing.fixtures import FakeProviderPlugin


@dataclass
class PowerFakeProvider(FakeProvider):
    """A FakeProvider with :class:`~pykind.lifecycle.containers.ContainerControl`.

    Stopped nodes refuse commands. With ``renumber`` set, a started node gets a new address
    (as an engine may hand out after a restart).
    """

    running: dict[str, bool] = field(default_factory=dict)
    power_events: list[tuple[str, str]] = field(default_factory=list)
    renumber: bool = False
    _renumbered: Iterator[int] = field(default_factory=lambda: itertools.count(100))

    def __post_init__(self) -> None:
        self.node_setup.append(self._setup)

    def _setup(self, node: FakeNode) -> None:
        node.on(["systemctl", "is-system-running"], stdout="running\n")

        def stopped(argv: object) -> bool:
            return not self.running.get(node.name, True)

        def refuse(n: FakeNode, call: RecordedCall) -> tuple[int, bytes, bytes]:
            return (126, b"", f"container {n.name} is not running".encode())

        node.on(stopped, refuse)  # type: ignore[arg-type]

    def container_control(self) -> FakeControl:
        return FakeControl(self)


class FakeControl:
    def __init__(self, provider: PowerFakeProvider) -> None:
        self.provider = provider

    def is_running(self, name: str) -> bool:
        self.provider.node(name)
        return self.provider.running.get(name, True)

    def stop(self, name: str, *, timeout: int = 30) -> None:
        self.provider.power_events.append(("stop", name))
        self.provider.running[name] = False

    def start(self, name: str) -> None:
        self.provider.power_events.append(("start", name))
        self.provider.running[name] = True
        if self.provider.renumber:
            node = self.provider.node(name)
            n = next(self.provider._renumbered)
            node.ipv4 = f"172.18.0.{n}"
            node.ipv6 = f"fc00:f853:ccd:e793::{n}"

    def image(self, name: str) -> str:
        return self.provider.node(name).image


def manager_for(provider: FakeProvider) -> ClusterManager:
    pm: PykindPluginManager = create_plugin_manager(
        autoload=False, extra=[FakeProviderPlugin(provider)]
    )
    return ClusterManager(provider, plugin_manager=pm)


def make_cluster(
    provider: FakeProvider,
    name: str,
    *,
    control_planes: int = 1,
    workers: int = 0,
    image: str = "local/node:v1",
    kubeconfig: Path | None = None,
    networking: dict[str, object] | None = None,
) -> ClusterManager:
    """Create a cluster through the real create pipeline on ``provider``."""
    nodes = [Node(role=NodeRole.CONTROL_PLANE) for _ in range(control_planes)]
    nodes += [Node(role=NodeRole.WORKER) for _ in range(workers)]
    config = ClusterConfig.model_validate(
        {"name": name, "networking": networking or {}, "nodes": [n.to_yaml_dict() for n in nodes]}
    )
    manager = manager_for(provider)
    manager.create(name, config=config, image=image, kubeconfig=kubeconfig)
    return manager
