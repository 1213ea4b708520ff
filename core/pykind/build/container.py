"""The build container: a base image kept running (``sleep infinity``) to exec into, then
committed as the node image. Driven through the provider's SDK client, which the docker and
podman SDKs shape alike (``containers.run``, ``container.commit``, ``images.get``)."""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO, Protocol

from pykind.errors import NodeCommandError, ProviderError
from pykind.runtime.protocols import CommandResult, Stdin

BUILD_LABEL = "io.x-k8s.kind.build"


class BuildProvider(Protocol):
    """What a build needs from a provider: its SDK client and exec with streamed stdin."""

    name: str

    @property
    def client(self) -> Any: ...

    def exec_in(
        self,
        name: str,
        argv: Sequence[str],
        *,
        stdin: Stdin | None = None,
        env: Mapping[str, str] | None = None,
        stdout: BinaryIO | None = None,
    ) -> tuple[int, bytes, bytes]: ...


def _changes(config: Mapping[str, Any]) -> list[str]:
    """Dockerfile instructions restoring the base image's ENTRYPOINT and CMD after the build."""
    entrypoint = config.get("Entrypoint") or []
    cmd = config.get("Cmd") or []
    return [f"ENTRYPOINT {json.dumps(list(entrypoint))}", f"CMD {json.dumps(list(cmd))}"]


class BuildContainer:
    """A running build container; a Node for the helpers that exec into nodes."""

    def __init__(self, provider: BuildProvider, base_image: str) -> None:
        self._provider = provider
        self._base = base_image
        self._name = f"kind-build-{int(time.time())}-{secrets.token_hex(4)}"
        self._container: Any = None

    # Node protocol ------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def role(self) -> str:
        return "build"

    @property
    def cluster(self) -> str:
        return ""

    def ip(self) -> tuple[str, str]:
        return ("", "")

    def serial_logs(self) -> bytes:
        return b""

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: Stdin | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        stdout: BinaryIO | None = None,
    ) -> CommandResult:
        code, out, err = self._provider.exec_in(
            self._name, list(argv), stdin=stdin, env=env, stdout=stdout
        )
        if check and code != 0:
            raise NodeCommandError(argv, code, out, err, node=self._name)
        return CommandResult(tuple(argv), code, out, err)

    # lifecycle ----------------------------------------------------------------
    def start(self) -> None:
        try:
            self._container = self._provider.client.containers.run(
                self._base,
                command=["infinity"],
                entrypoint=["sleep"],
                name=self._name,
                detach=True,
                security_opt=["seccomp=unconfined"],
                labels={BUILD_LABEL: "true"},
            )
        except Exception as exc:
            raise ProviderError(
                f"failed to create build container from {self._base}: {exc}"
            ) from exc

    def commit(self, image: str) -> str:
        """Commit as ``image`` with the base image's ENTRYPOINT/CMD; return the image ID."""
        repository, tag = _split_tag(image)
        try:
            config = self._provider.client.images.get(self._base).attrs.get("Config") or {}
            committed = self._container.commit(
                repository=repository, tag=tag, changes=_changes(config)
            )
        except Exception as exc:
            raise ProviderError(f"failed to commit the build container as {image}: {exc}") from exc
        return str(getattr(committed, "id", "") or "")

    def remove(self) -> None:
        if self._container is None:
            return
        with contextlib.suppress(Exception):  # best effort: a build container is disposable
            self._container.remove(force=True, v=True)


def _split_tag(image: str) -> tuple[str, str]:
    name, _, digest = image.partition("@")
    if digest:
        raise ProviderError(f"cannot build {image!r}: the image name has a digest")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = name.rsplit(":", 1)
        return repo, tag
    return name, "latest"
