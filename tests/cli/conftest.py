"""Fixtures for CLI tests: a fake ClusterManager world, a plugin manager without entry
points, and ``kind(...)`` which runs the CLI in-process with click's CliRunner."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pykind.cli import state as state_module
from pykind.cli.app import build_cli
from pykind.plugin.manager import PykindPluginManager, create_plugin_manager
from tests.cli.fakes import FakeManager, FakeProvidersPlugin, Kind, World


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    """Clusters and recorded calls of the fake library; installs the fake ClusterManager."""
    the_world = World()

    class BoundManager(FakeManager):
        world = the_world

    monkeypatch.setattr(state_module, "load_manager_class", lambda: BoundManager)
    monkeypatch.delenv("KIND_CLUSTER_NAME", raising=False)
    monkeypatch.delenv("KIND_EXPERIMENTAL_PROVIDER", raising=False)
    monkeypatch.delenv("PYKIND_DISABLE_PLUGINS", raising=False)
    return the_world


@pytest.fixture
def extra_plugins(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Plugins for the CLI's plugin manager, which loads no entry points: objects, or
    ``(name, object)`` pairs (blockable with --disable-plugin NAME)."""
    plugins: list[object] = [FakeProvidersPlugin()]

    def load(blocked: list[str]) -> PykindPluginManager:
        pm = create_plugin_manager(autoload=False, blocked=blocked)
        for item in plugins:
            if isinstance(item, tuple):
                name, plugin = item
                if not pm.is_blocked(name):
                    pm.register(plugin, name=name)
            else:
                pm.register(item)
        return pm

    monkeypatch.setattr(state_module, "load_plugin_manager", load)
    return plugins


@pytest.fixture
def kind(world: World, extra_plugins: list[object]) -> Kind:
    """``kind("get", "clusters")`` -> click Result (exit_code, stdout, stderr)."""

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(build_cli(), list(args), input=input, env=env, prog_name="kind")

    return invoke


def lines(text: str) -> list[str]:
    return text.splitlines()


def args_of(world: World, method: str) -> Sequence[tuple[tuple[Any, ...], dict[str, Any]]]:
    return world.called(method)
