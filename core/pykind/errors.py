"""Error types of pykind. Every error a user can cause derives from :class:`PykindError`.

The CLI prints ``ERROR: <message>`` for these and exits 1; anything else is a bug.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence


class PykindError(Exception):
    """Root of every error pykind raises on purpose."""


class ConfigError(PykindError):
    """Invalid user input: a config file, a flag or an option.

    ``field`` is the dotted path of the offending field (``nodes[1].role``) when known.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}" if field else message)


class PluginError(PykindError):
    """A plugin could not be loaded or misbehaved."""


class PluginConflictError(PluginError):
    """Two plugins registered the same name for the same kind of thing."""


class ProviderError(PykindError):
    """The container engine failed or refused a request."""


class ProviderNotFoundError(ProviderError):
    """No node provider with the requested name (the message lists the available ones)."""


class ProviderUnavailableError(ProviderError):
    """The engine is not reachable (the message names the socket or host tried)."""


class ImageNotFoundError(ProviderError):
    """An image is not present in the engine (and cannot be pulled)."""


class ClusterExistsError(PykindError):
    """A cluster with this name already has nodes."""


class ClusterNotFoundError(PykindError):
    """No nodes carry this cluster's label."""


class NodeCommandError(PykindError):
    """A command run inside a node exited non-zero."""

    def __init__(
        self,
        argv: Sequence[str],
        returncode: int,
        stdout: bytes = b"",
        stderr: bytes = b"",
        *,
        node: str = "",
    ) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.node = node
        where = f" on node {node!r}" if node else ""
        super().__init__(
            f"command {shlex.join(self.argv)!r} failed{where} with exit code {returncode}"
        )

    @property
    def output(self) -> str:
        """Combined output, decoded for display."""
        return (self.stdout + self.stderr).decode("utf-8", "replace")


class StepError(PykindError):
    """A create step failed. ``step`` names it; the cause is chained as ``__cause__``."""

    def __init__(self, step: str, message: str) -> None:
        self.step = step
        super().__init__(message)


class PatchError(ConfigError):
    """A kubeadm or containerd config patch is invalid or matched nothing (strict mode)."""


class AddonError(PykindError):
    """An add-on failed to prepare, install or remove, or got bad options."""
