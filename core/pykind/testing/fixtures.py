"""pytest fixtures for testing pykind and its plugins. Opt in from a ``conftest.py``::

    pytest_plugins = ["pykind.testing.fixtures"]

``fake_provider`` is a fresh :class:`~pykind.testing.fakes.FakeProvider`; ``plugin_manager``
is a plugin manager with the built-in plugins and the fake provider registered as node provider
``"fake"`` (entry points are not loaded); ``register_plugin`` registers a plugin object for the
duration of one test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import pytest

from pykind.plugin import hookimpl
from pykind.plugin.manager import PykindPluginManager, create_plugin_manager
from pykind.plugin.types import NodeProviderSpec
from pykind.testing.fakes import FakeProvider

__all__ = ["FakeProviderPlugin", "fake_provider", "plugin_manager", "register_plugin"]


class FakeProviderPlugin:
    """Registers ``provider`` as node provider ``"fake"`` (for tests only)."""

    def __init__(self, provider: FakeProvider) -> None:
        self.provider = provider

    @hookimpl
    def pykind_node_providers(self) -> Iterable[NodeProviderSpec]:
        provider = self.provider
        yield NodeProviderSpec(
            name="fake",
            factory=lambda: provider,
            is_available=lambda: True,
            priority=1000,
            description="in-memory provider for tests",
        )


@pytest.fixture
def fake_provider() -> FakeProvider:
    """A fresh in-memory provider."""
    return FakeProvider()


@pytest.fixture
def plugin_manager(fake_provider: FakeProvider) -> PykindPluginManager:
    """Builtins plus the fake provider; no entry points."""
    return create_plugin_manager(autoload=False, extra=[FakeProviderPlugin(fake_provider)])


@pytest.fixture
def register_plugin(
    plugin_manager: PykindPluginManager,
) -> Iterator[Callable[[object], object]]:
    """Register a plugin object on ``plugin_manager``; it is unregistered after the test."""
    registered: list[object] = []

    def register(plugin: object) -> object:
        plugin_manager.register(plugin)
        registered.append(plugin)
        return plugin

    yield register
    for plugin in reversed(registered):
        if plugin_manager.is_registered(plugin):
            plugin_manager.unregister(plugin)
