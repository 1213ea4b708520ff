"""Helpers for engine-backed tests: provider construction, cluster bookkeeping, polling.

Everything a test creates is recorded in a :class:`ClusterTracker` and removed by label at
teardown, whether the test passed or not.
"""

from __future__ import annotations

import functools
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pykind.config.models import ClusterConfig
from pykind.runtime.engine import EngineProvider
from pykind.runtime.plan import plan_nodes
from pykind.runtime.protocols import Node, NodeProvider, ProvisionPlan

T = TypeVar("T")

ENGINES = ("docker", "podman")
#: Seconds a node may take to boot on a loaded shared machine (upstream waits 30).
TEST_BOOT_TIMEOUT = 180.0


def make_provider(engine: str, **kwargs: Any) -> EngineProvider:
    """A fresh provider for ``engine`` ("docker" or "podman")."""
    kwargs.setdefault("boot_timeout", TEST_BOOT_TIMEOUT)
    if engine == "docker":
        from pykind_docker.provider import DockerProvider

        return DockerProvider(**kwargs)
    if engine == "podman":
        from pykind_podman.provider import PodmanProvider

        return PodmanProvider(**kwargs)
    raise ValueError(f"unknown engine {engine!r}")


def free_port() -> int:
    """A TCP port free on the loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stand_in_calls(node: Node) -> list[dict[str, Any]]:
    """The calls the node image's recording stand-ins logged (``/kind/stand-in/calls.jsonl``)."""
    text = node.run(["cat", "/kind/stand-in/calls.jsonl"]).text
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def random_name(prefix: str = "t-") -> str:
    """A unique, valid cluster or network name such as ``t-3fa9c1``."""
    return f"{prefix}{secrets.token_hex(3)}"


def cluster_config(name: str, image: str, raw: Mapping[str, Any] | None = None) -> ClusterConfig:
    """A defaulted v1alpha4 config named ``name``; nodes without an image get ``image``."""
    data: dict[str, Any] = {"name": name, "nodes": [{"role": "control-plane"}]}
    data.update(raw or {})
    data["name"] = name
    for node in data["nodes"]:
        node.setdefault("image", image)
    return ClusterConfig.model_validate(data).with_defaults()


class ClusterTracker:
    """Clusters (and networks) created by tests; :meth:`cleanup` removes them all."""

    def __init__(self) -> None:
        self._clusters: list[tuple[NodeProvider, str]] = []
        self._networks: list[tuple[EngineProvider, str]] = []
        self._lock = threading.Lock()

    def track(self, provider: NodeProvider, cluster: str) -> str:
        with self._lock:
            if not any(p is provider and c == cluster for p, c in self._clusters):
                self._clusters.append((provider, cluster))
        return cluster

    def track_network(self, provider: EngineProvider, network: str) -> str:
        with self._lock:
            if not any(p is provider and n == network for p, n in self._networks):
                self._networks.append((provider, network))
        return network

    def provision(
        self,
        provider: NodeProvider,
        config: ClusterConfig,
        *,
        config_dir: Path | None = None,
        lb_image: str | None = None,
    ) -> list[Node]:
        """Provision ``config`` (tracked first, so a failed provision is cleaned up too)."""
        self.track(provider, config.name)
        kwargs = {"load_balancer_image": lb_image} if lb_image else {}
        plan: ProvisionPlan = plan_nodes(config, config_dir=config_dir, **kwargs)
        from pykind.status import NULL_STATUS

        provider.provision(plan, NULL_STATUS)
        return provider.list_nodes(config.name)

    def cleanup(self) -> list[str]:
        """Remove every tracked cluster's containers and every tracked network; returns the
        errors met (teardown must not stop half-way)."""
        errors: list[str] = []
        with self._lock:
            clusters, self._clusters = self._clusters, []
            networks, self._networks = self._networks, []

        def delete(provider: NodeProvider, cluster: str) -> None:
            try:
                provider.delete_nodes(provider.list_nodes(cluster))
            except Exception as exc:
                errors.append(f"cluster {cluster}: {exc}")

        run_parallel([functools.partial(delete, p, c) for p, c in clusters])
        for provider, network in networks:
            try:
                remove_network(provider, network)
            except Exception as exc:
                errors.append(f"network {network}: {exc}")
        return errors


def networks_named(provider: EngineProvider, name: str) -> list[dict[str, Any]]:
    """Inspect documents of every network called exactly ``name``."""
    if provider.name == "docker":
        found = provider.client.api.networks(names=[name])
        return [provider.client.api.inspect_network(n["Id"]) for n in found if n["Name"] == name]
    return [dict(n.attrs) for n in provider.client.networks.list() if n.name == name]


def remove_network(provider: EngineProvider, name: str) -> None:
    """Remove every network called ``name`` (only ever used on networks a test created)."""
    for net in networks_named(provider, name):
        if provider.name == "docker":
            provider.client.api.remove_network(net["Id"])
        else:
            provider.client.networks.get(name).remove()


def ensure_network_at(engine: str, name: str, start_at: float) -> str:
    """Process entry point for the concurrency test: wait until ``start_at``, then ensure."""
    provider = make_provider(engine)
    _ = provider.client  # connect before the start line
    time.sleep(max(0.0, start_at - time.time()))
    return provider.ensure_network(name)


def inspect(provider: EngineProvider, name: str) -> dict[str, Any]:
    """The engine's inspect document of container ``name``."""
    return dict(provider.client.containers.get(name).attrs)


def host_port(provider: EngineProvider, name: str, container_port: str) -> tuple[str, int]:
    """(host IP, host port) published for ``container_port`` (``"80/tcp"``)."""
    bindings = inspect(provider, name)["NetworkSettings"]["Ports"][container_port]
    binding = bindings[0]
    return binding.get("HostIp") or "127.0.0.1", int(binding["HostPort"])


def eventually(check: Callable[[], T], *, timeout: float = 60.0, interval: float = 0.5) -> T:
    """Call ``check`` until it returns a truthy value without raising; return that value.

    The last exception (or a falsy result) is raised as AssertionError after ``timeout``.
    """
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            value = check()
            if value:
                return value
            last = AssertionError(f"{check!r} returned {value!r}")
        except Exception as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met: {last}") from last
        time.sleep(interval)


def run_parallel(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run ``tasks`` in threads; return their results in order, raising the first error."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, len(tasks))) as pool:
        futures = [pool.submit(t) for t in tasks]
    return [f.result() for f in futures]
