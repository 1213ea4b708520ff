"""``kind addon ...`` against a stub of pykind.addons (the add-ons branch owns the real one)."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

import pykind
from pykind.errors import AddonError
from pykind.plugin.types import AddonSpec
from tests.cli.fakes import Kind, World


class HelloOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    greeting: str = Field("hello", description="what to say")
    port: int = Field(8080, description="host port")


class AddonPlugin:
    @pykind.hookimpl
    def pykind_addons(self) -> Iterator[AddonSpec]:
        yield AddonSpec(
            name="hello",
            install=lambda ctx, options: None,
            options_model=HelloOptions,
            description="says hello",
        )
        yield AddonSpec(name="bare", install=lambda ctx, options: None)


@pytest.fixture
def addons_api(monkeypatch: pytest.MonkeyPatch, extra_plugins: list[object]) -> list[Any]:
    extra_plugins.append(AddonPlugin())
    calls: list[Any] = []
    module = types.ModuleType("pykind.addons")

    def install_addon(
        target: Any, cluster: str, name: str, options: Any = None, *, pm: Any, status: Any
    ) -> list[str]:
        calls.append(("install", target.provider_name, name, cluster, dict(options)))
        assert pm is not None and status is not None
        if name == "broken":
            raise AddonError("the manifest did not apply")
        status.info("WARNING: shown by the status")
        return ["shown by the status", "only returned"]

    def remove_addon(
        target: Any, cluster: str, name: str, options: Any = None, *, pm: Any, status: Any
    ) -> list[str]:
        calls.append(("remove", target.provider_name, name, cluster, dict(options)))
        return []

    module.install_addon = install_addon  # type: ignore[attr-defined]
    module.remove_addon = remove_addon  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pykind.addons", module)
    monkeypatch.setattr(pykind, "addons", module, raising=False)
    return calls


def test_addon_list(kind: Kind, world: World, addons_api: list[Any]) -> None:
    result = kind("addon", "list")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "NAME    DESCRIPTION",
        "bare",
        "hello   says hello",
    ]
    data = json.loads(kind("addon", "list", "-o", "json").stdout)
    assert data == [
        {"name": "bare", "description": ""},
        {"name": "hello", "description": "says hello"},
    ]


def test_addon_list_none(kind: Kind, world: World) -> None:
    result = kind("addon", "list")
    assert result.stdout == ""
    assert result.stderr == "No add-ons installed.\n"


def test_addon_show(kind: Kind, world: World, addons_api: list[Any]) -> None:
    result = kind("addon", "show", "hello")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "hello: says hello",
        "",
        "OPTION     TYPE      DEFAULT   DESCRIPTION",
        "greeting   string    hello     what to say",
        "port       integer   8080      host port",
    ]
    schema = json.loads(kind("addon", "show", "hello", "-o", "json").stdout)
    assert schema["options"]["properties"]["port"]["default"] == 8080
    assert kind("addon", "show", "bare").stdout == "bare\n(no options)\n"


def test_addon_show_unknown(kind: Kind, world: World, addons_api: list[Any]) -> None:
    result = kind("addon", "show", "nope")
    assert result.exit_code == 1
    assert result.stderr == 'ERROR: unknown add-on "nope"; available: bare, hello\n'


def test_addon_install(kind: Kind, world: World, addons_api: list[Any]) -> None:
    result = kind(
        "addon",
        "install",
        "hello:port=81",
        "--set",
        "greeting=hi",
        "-n",
        "dev",
        "--provider",
        "podman",
    )
    assert result.exit_code == 0, result.stderr
    assert addons_api == [("install", "podman", "hello", "dev", {"port": "81", "greeting": "hi"})]
    assert result.stderr.splitlines() == [
        "WARNING: shown by the status",
        "WARNING: only returned",
        'Add-on "hello" installed in cluster "dev".',
    ]


def test_addon_install_failure(kind: Kind, world: World, addons_api: list[Any]) -> None:
    result = kind("addon", "install", "broken")
    assert result.exit_code == 1
    assert result.stderr == (
        'ERROR: failed to install add-on "broken": the manifest did not apply\n'
    )


def test_addon_install_bad_set(kind: Kind, world: World, addons_api: list[Any]) -> None:
    result = kind("addon", "install", "hello", "--set", "novalue")
    assert result.exit_code == 1
    assert addons_api == []


def test_addon_remove(kind: Kind, world: World, addons_api: list[Any]) -> None:
    result = kind("addon", "remove", "hello", env={"KIND_CLUSTER_NAME": "envc"})
    assert result.exit_code == 0
    assert addons_api == [("remove", None, "hello", "envc", {})]
    kind("addon", "remove", "hello:http-port=81", "--set", "x-y=1")
    assert addons_api[-1] == ("remove", None, "hello", "kind", {"http_port": "81", "x_y": "1"})
    assert result.stderr == 'Add-on "hello" removed from cluster "envc".\n'
