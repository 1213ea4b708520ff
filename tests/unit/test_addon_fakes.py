"""In-memory stand-ins for a node provider and its nodes, shared by the add-on tests.

(``pykind.testing`` fakes replace these once they exist.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pykind.errors import NodeCommandError
from pykind.runtime.protocols import CommandResult, ProviderInfo, ProvisionPlan


@dataclass
class FakeNode:
    name: str
    role: str
    cluster: str
    events: list[tuple[Any, ...]]
    fail: Mapping[str, bytes] = field(default_factory=dict)

    def ip(self) -> tuple[str, str]:
        return ("172.18.0.2", "")

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: Any = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        stdout: BinaryIO | None = None,
    ) -> CommandResult:
        data = b""
        if isinstance(stdin, bytes):
            data = stdin
        elif stdin is not None:
            data = b"".join(stdin)
        self.events.append(("run", self.name, tuple(argv), data))
        for word, stderr in self.fail.items():
            if word in argv:
                if check:
                    raise NodeCommandError(argv, 1, b"", stderr, node=self.name)
                return CommandResult(tuple(argv), 1, b"", stderr)
        return CommandResult(tuple(argv), 0, b"", b"")

    def serial_logs(self) -> bytes:
        return b""


class FakeProvider:
    name = "fake"

    def __init__(self, cluster: str = "c", roles: Iterable[str] = ("control-plane",)) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.images: dict[str, str] = {}
        self.nodes: list[FakeNode] = []
        counts: dict[str, int] = {}
        for role in roles:
            counts[role] = counts.get(role, 0) + 1
            suffix = "" if counts[role] == 1 else str(counts[role])
            self.nodes.append(FakeNode(f"{cluster}-{role}{suffix}", role, cluster, self.events))

    def info(self) -> ProviderInfo:
        return ProviderInfo(name=self.name)

    def provision(self, plan: ProvisionPlan, status: Any) -> None:
        raise NotImplementedError

    def list_clusters(self) -> list[str]:
        return sorted({n.cluster for n in self.nodes})

    def list_nodes(self, cluster: str) -> list[FakeNode]:
        return sorted((n for n in self.nodes if n.cluster == cluster), key=lambda n: n.name)

    def delete_nodes(self, nodes: Sequence[Any]) -> None:
        raise NotImplementedError

    def api_server_endpoint(self, cluster: str) -> str:
        return "127.0.0.1:6443"

    def api_server_internal_endpoint(self, cluster: str) -> str:
        return f"{cluster}-control-plane:6443"

    def collect_logs(self, dest: Path, nodes: Sequence[Any]) -> None:
        raise NotImplementedError

    def image_id(self, image: str) -> str | None:
        self.events.append(("image_id", image))
        return self.images.get(image)

    def pull_image(self, image: str) -> None:
        raise NotImplementedError

    def save_images(self, images: Sequence[str]) -> Iterator[bytes]:
        self.events.append(("save", tuple(images)))
        yield b"archive:"
        yield ",".join(images).encode()
