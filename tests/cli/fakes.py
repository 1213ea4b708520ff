"""A stand-in ClusterManager for CLI tests: records calls, returns scripted results.

The CLI only needs the agreed ClusterManager surface; these fakes implement exactly that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from click.testing import Result

import pykind
from pykind.errors import ClusterNotFoundError, ProviderNotFoundError
from pykind.plugin.types import NodeProviderSpec

KNOWN_PROVIDERS = ("docker", "podman")

#: ``kind(*argv, input=None, env=None) -> click Result`` (the ``kind`` fixture).
Kind = Callable[..., Result]


@dataclass(frozen=True)
class FakeNode:
    name: str
    role: str
    cluster: str


@dataclass(frozen=True)
class FakeCreateResult:
    name: str
    kubeconfig_path: Path
    context: str
    warnings: tuple[str, ...] = ()
    kubeconfig_note: str | None = None


@dataclass
class FakeProvider:
    name: str
    endpoints: dict[str, str] = field(default_factory=dict)

    def api_server_endpoint(self, cluster: str) -> str:
        return self.endpoints.get(cluster, "127.0.0.1:6443")


@dataclass
class World:
    """Clusters per engine, shared by every FakeManager of one test."""

    clusters: dict[str, dict[str, list[FakeNode]]] = field(
        default_factory=lambda: {"docker": {}, "podman": {}}
    )
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)
    managers: list[FakeManager] = field(default_factory=list)
    #: method name -> exception to raise
    fail: dict[str, BaseException] = field(default_factory=dict)
    create_result: dict[str, Any] = field(default_factory=dict)
    #: status events the fake "library" emits during create
    create_steps: Sequence[str] = (
        "Ensuring node image (kindest/node:v1.36.1) 🖼",
        "Preparing nodes 📦",
    )

    def add_cluster(self, name: str, engine: str = "docker", workers: int = 0) -> None:
        nodes = [FakeNode(f"{name}-control-plane", "control-plane", name)]
        nodes += [
            FakeNode(f"{name}-worker{'' if i == 0 else i + 1}", "worker", name)
            for i in range(workers)
        ]
        self.clusters[engine][name] = nodes

    def called(self, method: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return [(a, k) for m, a, k in self.calls if m == method]


class FakeManager:
    """Implements the agreed ClusterManager API over a :class:`World`."""

    world: ClassVar[World]

    def __init__(
        self, provider: str | None = None, *, plugin_manager: Any = None, status: Any = None
    ) -> None:
        self.provider_name = provider
        self.plugin_manager = plugin_manager
        self.status = status
        self.world.managers.append(self)

    def _record(self, method: str, *args: Any, **kwargs: Any) -> None:
        self.world.calls.append((method, args, kwargs))
        error = self.world.fail.get(method)
        if error is not None:
            raise error

    @property
    def engine(self) -> str:
        import os

        name = self.provider_name or os.environ.get("KIND_EXPERIMENTAL_PROVIDER") or "docker"
        if name not in KNOWN_PROVIDERS:
            raise ProviderNotFoundError(
                f"unknown provider {name!r}; choose one of: {', '.join(KNOWN_PROVIDERS)}"
            )
        return name

    @property
    def provider(self) -> FakeProvider:
        self._record("provider")
        return FakeProvider(self.engine)

    def _clusters(self) -> dict[str, list[FakeNode]]:
        return self.world.clusters[self.engine]

    def create(self, name: str | None = None, **kwargs: Any) -> FakeCreateResult:
        self._record("create", name, **kwargs)
        config = kwargs.get("config")
        cluster = name or getattr(config, "name", None) or "kind"
        for step in self.world.create_steps:
            self.status.start(step)
            self.status.end(True)
        self.world.add_cluster(cluster, self.engine)
        values: dict[str, Any] = {
            "name": cluster,
            "kubeconfig_path": Path(kwargs.get("kubeconfig") or Path.home() / ".kube/config"),
            "context": f"kind-{cluster}",
        }
        values.update(self.world.create_result)
        return FakeCreateResult(**values)

    def delete(self, name: str = "kind", *, kubeconfig: Any = None) -> list[str]:
        self._record("delete", name, kubeconfig=kubeconfig)
        nodes = self._clusters().pop(name, [])
        return [n.name for n in nodes]

    def delete_all(self, *, kubeconfig: Any = None) -> list[str]:
        self._record("delete_all", kubeconfig=kubeconfig)
        names = sorted(self._clusters())
        self._clusters().clear()
        return names

    def list_clusters(self) -> list[str]:
        self._record("list_clusters")
        return sorted(self._clusters())

    def list_nodes(self, name: str) -> list[FakeNode]:
        self._record("list_nodes", name)
        return sorted(self._clusters().get(name, []), key=lambda n: n.name)

    def kubeconfig(self, name: str, *, internal: bool = False) -> str:
        self._record("kubeconfig", name, internal=internal)
        if name not in self._clusters():
            raise ClusterNotFoundError(f"could not locate any control plane nodes for {name!r}")
        server = "kind-control-plane:6443" if internal else "127.0.0.1:6443"
        return f"apiVersion: v1\nclusters:\n- cluster:\n    server: https://{server}\n"

    def export_kubeconfig(
        self, name: str, *, internal: bool = False, kubeconfig: Any = None
    ) -> Path:
        self._record("export_kubeconfig", name, internal=internal, kubeconfig=kubeconfig)
        return Path(kubeconfig or Path.home() / ".kube/config")

    def load_images(
        self, images: Sequence[str], *, name: str, nodes: Sequence[str] | None = None
    ) -> Any:
        self._record("load_images", list(images), name=name, nodes=nodes)
        return None

    def load_archives(
        self, paths: Sequence[Path], *, name: str, nodes: Sequence[str] | None = None
    ) -> Any:
        self._record("load_archives", list(paths), name=name, nodes=nodes)
        return None

    def collect_logs(self, name: str, dest: Path | None = None) -> Path:
        self._record("collect_logs", name, dest)
        return dest or Path("/tmp/none")

    def build_node_image(self, **kwargs: Any) -> str:
        self._record("build_node_image", **kwargs)
        return str(kwargs.get("image") or "kindest/node:latest")


class FakeProvidersPlugin:
    """Registers docker and podman provider specs that never touch an engine."""

    available: ClassVar[dict[str, bool]] = {"docker": True, "podman": True}

    @pykind.hookimpl
    def pykind_node_providers(self) -> Iterator[NodeProviderSpec]:
        for name, priority in (("docker", 10), ("podman", 20)):
            yield NodeProviderSpec(
                name=name,
                factory=lambda: None,  # type: ignore[arg-type,return-value]
                is_available=lambda name=name: self.available[name],
                priority=priority,
            )
