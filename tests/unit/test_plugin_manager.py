"""The plugin manager: discovery, conflicts, blocking, provider selection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import pykind
from pykind.errors import PluginConflictError, ProviderNotFoundError
from pykind.plugin.manager import create_plugin_manager
from pykind.plugin.types import AddonSpec, CreateStep, NodeProviderSpec, Phase


class _Provider:
    def __init__(self, name: str) -> None:
        self.name = name


def _provider_plugin(name: str, *, available: bool = True, priority: int = 50) -> object:
    class Plugin:
        @pykind.hookimpl
        def pykind_node_providers(self) -> Iterator[NodeProviderSpec]:
            yield NodeProviderSpec(
                name=name,
                factory=lambda: _Provider(name),  # type: ignore[arg-type,return-value]
                is_available=lambda: available,
                priority=priority,
            )

    return Plugin()


def _noop(*_: object) -> None:
    return None


def test_first_party_providers_come_from_entry_points() -> None:
    pm = create_plugin_manager()
    names = {info["name"] for info in pm.plugin_infos()}
    assert {"docker", "podman"} <= names
    assert {"pykind.cluster.steps", "pykind.networking.kindnet"} <= names


def test_duplicate_addon_names_conflict() -> None:
    class One:
        @pykind.hookimpl
        def pykind_addons(self) -> Iterator[AddonSpec]:
            yield AddonSpec(name="Hello", install=_noop)

    class Two:
        @pykind.hookimpl
        def pykind_addons(self) -> Iterator[AddonSpec]:
            yield AddonSpec(name="hello ", install=_noop)

    pm = create_plugin_manager(autoload=False, extra=[One(), Two()])
    with pytest.raises(PluginConflictError, match="'hello'"):
        pm.addons()


def test_blocked_entry_point_is_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYKIND_DISABLE_PLUGINS", "podman")
    pm = create_plugin_manager()
    names = {info["name"] for info in pm.plugin_infos()}
    assert "podman" not in names
    assert "docker" in names


def test_unknown_provider_lists_the_available_ones() -> None:
    pm = create_plugin_manager(
        autoload=False, builtins=False, extra=[_provider_plugin("a"), _provider_plugin("b")]
    )
    with pytest.raises(ProviderNotFoundError, match="choose one of: a, b"):
        pm.get_node_provider("nope")


def test_provider_auto_detection_follows_priority_and_availability(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KIND_EXPERIMENTAL_PROVIDER", raising=False)
    pm = create_plugin_manager(
        autoload=False,
        builtins=False,
        extra=[
            _provider_plugin("first", available=False, priority=1),
            _provider_plugin("second", priority=2),
            _provider_plugin("third", priority=3),
        ],
    )
    assert pm.get_node_provider().name == "second"  # type: ignore[attr-defined]
    monkeypatch.setenv("KIND_EXPERIMENTAL_PROVIDER", "third")
    assert pm.get_node_provider().name == "third"  # type: ignore[attr-defined]


def test_steps_sort_by_phase_then_registration() -> None:
    class Early:
        @pykind.hookimpl
        def pykind_create_steps(self) -> Iterator[CreateStep]:
            yield CreateStep(name="b-late", phase=Phase.ADDONS, run=_noop)
            yield CreateStep(name="a-early", phase=Phase.PROVISION, run=_noop)

    class Later:
        @pykind.hookimpl
        def pykind_create_steps(self) -> Iterator[CreateStep]:
            yield CreateStep(name="c-same-phase", phase=Phase.PROVISION, run=_noop)

    pm = create_plugin_manager(autoload=False, builtins=False, extra=[Early(), Later()])
    assert [s.name for s in pm.create_steps()] == ["a-early", "c-same-phase", "b-late"]


def test_a_misspelt_hook_fails_fast() -> None:
    class Typo:
        @pykind.hookimpl
        def pykind_addon(self) -> None:  # missing "s"
            return None

    with pytest.raises(Exception, match="pykind_addon"):
        create_plugin_manager(autoload=False, builtins=False, extra=[Typo()])
