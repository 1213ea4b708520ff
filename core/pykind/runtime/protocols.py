"""The protocol every node provider (docker, podman, third-party) implements.

It mirrors upstream kind's ``providers.Provider`` and ``nodes.Node`` interfaces in snake_case.
Engine specifics stay inside providers; core code only sees these types.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pykind.config.models import ClusterConfig
    from pykind.config.models import Node as NodeConfig
    from pykind.status import Status

#: What ``Node.run`` accepts as standard input: bytes, a binary file, or an iterable of chunks
#: (streamed, never buffered whole).
Stdin = bytes | BinaryIO | Iterable[bytes]

ROLE_CONTROL_PLANE = "control-plane"
ROLE_WORKER = "worker"
ROLE_LOAD_BALANCER = "external-load-balancer"


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Outcome of a command run in a node."""

    argv: tuple[str, ...]
    returncode: int
    stdout: bytes = b""
    stderr: bytes = b""

    @property
    def text(self) -> str:
        """Standard output decoded as UTF-8."""
        return self.stdout.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """Facts about the engine, used by validation and ``kind doctor``."""

    name: str
    version: str = ""
    rootless: bool = False
    cgroup2: bool = True
    supports_memory_limit: bool = True
    supports_pids_limit: bool = True
    security_options: tuple[str, ...] = ()
    endpoint: str = ""


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One container to create: the provider turns it into a ``docker run``-like request."""

    name: str
    role: str
    image: str
    #: The user's node config (mounts, port mappings, labels); None for the load balancer.
    config: NodeConfig | None = None
    #: Publish the API server (6443 in the container) on the host.
    publish_api_server: bool = False


@dataclass(frozen=True, slots=True)
class ProvisionPlan:
    """Everything a provider needs to provision one cluster's containers."""

    cluster: str
    config: ClusterConfig
    nodes: tuple[NodeSpec, ...]
    #: Folder that relative ``extraMounts[].hostPath`` values are resolved against.
    config_dir: Path | None = None
    #: Host port for the API server; 0 means a random free port.
    api_server_port: int = 0
    api_server_address: str = "127.0.0.1"
    extra: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Node(Protocol):
    """A node container of a cluster (or its load balancer)."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def cluster(self) -> str: ...

    def ip(self) -> tuple[str, str]:
        """The node's (IPv4, IPv6) addresses on the cluster network; "" when absent."""
        ...

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: Stdin | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        stdout: BinaryIO | None = None,
    ) -> CommandResult:
        """Run ``argv`` in the node (like ``docker exec --privileged -i``).

        ``stdin`` is streamed in. When ``stdout`` is given, output is streamed to it and not
        kept in the result. ``check=True`` raises :class:`~pykind.errors.NodeCommandError` on a
        non-zero exit.
        """
        ...

    def serial_logs(self) -> bytes:
        """The container's console output (``docker logs``)."""
        ...


@runtime_checkable
class NodeProvider(Protocol):
    """A container engine that can host kind nodes."""

    #: Registered name ("docker", "podman").
    name: str

    def info(self) -> ProviderInfo: ...

    def provision(self, plan: ProvisionPlan, status: Status) -> None:
        """Create the cluster network if needed and all containers of ``plan`` in parallel,
        then wait until systemd in each node is up. Raises ProviderError on failure."""
        ...

    def list_clusters(self) -> list[str]:
        """Names of clusters with at least one container, sorted."""
        ...

    def list_nodes(self, cluster: str) -> list[Node]:
        """All containers of ``cluster`` (the load balancer included), sorted by name."""
        ...

    def delete_nodes(self, nodes: Sequence[Node]) -> None:
        """Remove containers with their anonymous volumes; missing ones are ignored."""
        ...

    def api_server_endpoint(self, cluster: str) -> str:
        """``host:port`` of the API server as published on the host."""
        ...

    def api_server_internal_endpoint(self, cluster: str) -> str:
        """``host:port`` of the API server on the cluster network."""
        ...

    def collect_logs(self, dest: Path, nodes: Sequence[Node]) -> None:
        """Write provider-specific logs (``inspect``, engine info) under ``dest``."""
        ...

    def image_id(self, image: str) -> str | None:
        """The engine's image ID for ``image``, or None when absent."""
        ...

    def pull_image(self, image: str) -> None:
        """Pull ``image``; raises ImageNotFoundError when it cannot be obtained."""
        ...

    def save_images(self, images: Sequence[str]) -> Iterator[bytes]:
        """Stream one ``docker save`` style archive holding ``images``, in chunks."""
        ...
