"""Per-invocation state of the CLI: global flags, the console, the plugin manager.

Commands receive it as ``ctx.obj``; nothing here is a module global, so tests and
embedding tools can run the CLI many times in one process.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from pykind.cli.console import Console
from pykind.cli.status import ConsoleStatus, make_status

if TYPE_CHECKING:
    from pykind.cluster.manager import ClusterManager
    from pykind.plugin.manager import PykindPluginManager

PROVIDER_ENV = "KIND_EXPERIMENTAL_PROVIDER"
CLUSTER_NAME_ENV = "KIND_CLUSTER_NAME"
DEFAULT_CLUSTER_NAME = "kind"


def load_plugin_manager(blocked: list[str]) -> PykindPluginManager:
    """A plugin manager with entry points loaded, minus ``blocked`` (tests replace this)."""
    from pykind.plugin.manager import create_plugin_manager

    return create_plugin_manager(blocked=blocked)


def load_manager_class() -> type[ClusterManager]:
    """The ClusterManager class (tests replace this with a fake)."""
    from pykind.cluster.manager import ClusterManager

    return ClusterManager


class _ConsoleHandler(logging.Handler):
    """Log records as lines on the console (above the spinner)."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.line(self.format(record))
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


@dataclass
class AppState:
    """Global flags (collected from the root and every subcommand) and shared objects."""

    verbosity: int = 0
    quiet: bool = False
    disabled_plugins: list[str] = field(default_factory=list)
    console: Console | None = None
    _pm: PykindPluginManager | None = field(default=None, init=False, repr=False)
    _status: ConsoleStatus | None = field(default=None, init=False, repr=False)
    _handler: logging.Handler | None = field(default=None, init=False, repr=False)
    _saved_level: int = field(default=logging.WARNING, init=False, repr=False)
    _configured: tuple[int, bool] | None = field(default=None, init=False, repr=False)

    # ------------------------------------------------------------------ setup / teardown
    def get_console(self) -> Console:
        if self.console is None:
            self.console = Console()
        return self.console

    def setup(self) -> None:
        """Apply the global flags to logging. Called when a command starts running and on
        first use of the library objects; re-applies itself when the flags changed since."""
        wanted = (self.verbosity, self.quiet)
        if self._handler is not None and self._configured == wanted:
            return
        root = logging.getLogger()
        if self._handler is None:
            self._handler = _ConsoleHandler(self.get_console())
            self._saved_level = root.level
            root.addHandler(self._handler)
        handler = self._handler
        for old in list(handler.filters):
            handler.removeFilter(old)
        if self.verbosity >= 1:
            handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            level = logging.DEBUG
            # SDK chatter only from -v 3 on; pykind's own debug output from -v 1.
            if self.verbosity < 3:
                handler.addFilter(_OwnDebugFilter())
        else:
            handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
            level = logging.CRITICAL + 1 if self.quiet else logging.WARNING
        handler.setLevel(level)
        root.setLevel(min(self._saved_level or logging.WARNING, level))
        self._configured = wanted

    def fail_current_step(self) -> None:
        """End a step left running as failed and stop the spinner (the command is failing)."""
        if self._status is not None:
            self._status.close()
        if self.console is not None:
            self.console.stop_spinner()

    def close(self) -> None:
        """Undo :meth:`setup` and stop the spinner (end of the invocation)."""
        self.fail_current_step()
        if self._handler is not None:
            root = logging.getLogger()
            root.removeHandler(self._handler)
            root.setLevel(self._saved_level)
            self._handler = None
            self._configured = None

    # ------------------------------------------------------------------ output helpers
    def info(self, message: str) -> None:
        """An informational line on stderr (upstream ``logger.V(0).Info``); silenced by -q."""
        self.setup()
        if not self.quiet:
            self.get_console().line(message)

    def warn(self, message: str) -> None:
        """``WARNING: <message>`` on stderr; silenced by -q."""
        self.setup()
        if not self.quiet:
            console = self.get_console()
            console.line(f"{console.color('WARNING', '33')}: {message}")

    @property
    def status(self) -> ConsoleStatus:
        self.setup()
        if self._status is None:
            self._status = make_status(self.get_console(), quiet=self.quiet)
        return self._status

    # ------------------------------------------------------------------ library objects
    def plugin_manager(self) -> PykindPluginManager:
        self.setup()
        if self._pm is None:
            self._pm = load_plugin_manager(list(self.disabled_plugins))
        return self._pm

    def manager(self, provider: str | None = None, *, validate: bool = True) -> ClusterManager:
        """A ClusterManager for ``provider`` (None: env / auto-detect) reporting to our status.

        ``validate`` resolves the provider now, so an unknown or unreachable one fails before
        the command prints anything.
        """
        if provider is None and os.environ.get(PROVIDER_ENV):
            self.info(f"using {os.environ[PROVIDER_ENV]} due to {PROVIDER_ENV}")
        cls: Any = load_manager_class()
        manager = cls(provider, plugin_manager=self.plugin_manager(), status=self.status)
        if validate:
            _ = manager.provider
        return manager


class _OwnDebugFilter(logging.Filter):
    """Below INFO, keep only pykind's (and plugins' ``pykind_*``) records."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO or record.name.startswith("pykind")


def get_state(ctx: click.Context | None = None) -> AppState:
    """The AppState of the running invocation (created on first use)."""
    ctx = ctx or click.get_current_context()
    return ctx.find_root().ensure_object(AppState)


def default_name(flag: str | None) -> str:
    """Upstream's ``--name`` rule for existing clusters: flag, else KIND_CLUSTER_NAME, else kind."""
    return flag or os.environ.get(CLUSTER_NAME_ENV) or DEFAULT_CLUSTER_NAME
