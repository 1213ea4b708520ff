"""``kind plugins`` and commands added by plugins (``pykind_register_commands``)."""

from __future__ import annotations

import json
import logging
from typing import Any

import click
import pytest

import pykind
from pykind.cli import state as state_module
from tests.cli.fakes import Kind, World


class HelloPlugin:
    @pykind.hookimpl
    def pykind_register_commands(self, cli: click.Group) -> None:
        @cli.command()
        @click.argument("who", default="world")
        def hello(who: str) -> None:
            """Says hello (from a plugin)."""
            logging.getLogger("pykind_hello").debug("about to greet")
            logging.getLogger("pykind_hello").warning("greeting")
            click.echo(f"hello {who}")


def test_plugin_adds_command(kind: Kind, world: World, extra_plugins: list[object]) -> None:
    extra_plugins.append(("hello", HelloPlugin()))
    result = kind("hello", "you")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "hello you\n"
    assert "Says hello" in kind("hello", "--help").stdout
    assert result.stderr == "WARNING: greeting\n"


def test_plugin_command_accepts_global_flags(
    kind: Kind, world: World, extra_plugins: list[object]
) -> None:
    extra_plugins.append(("hello", HelloPlugin()))
    quiet = kind("hello", "-q")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "hello world\n", "")
    verbose = kind("hello", "you", "-v", "1")
    assert "DEBUG pykind_hello: about to greet" in verbose.stderr
    assert "--verbosity" in kind("hello", "--help").stdout


def test_disabled_plugin_adds_no_command(
    kind: Kind, world: World, extra_plugins: list[object]
) -> None:
    extra_plugins.append(("hello", HelloPlugin()))
    result = kind("--disable-plugin", "hello", "hello")
    assert result.exit_code == 1
    assert result.stderr == 'ERROR: unknown command "hello" for "kind"\n'
    result = kind("hello", env={"PYKIND_DISABLE_PLUGINS": "other,hello"})
    assert result.exit_code == 1


def test_builtin_commands_do_not_load_plugins(
    kind: Kind, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    real = state_module.load_plugin_manager
    monkeypatch.setattr(
        state_module, "load_plugin_manager", lambda blocked: calls.append(blocked) or real(blocked)
    )
    assert kind("--help").exit_code == 0
    assert kind("version").exit_code == 0
    assert kind("create", "--help").exit_code == 0
    assert calls == []
    kind("not-a-builtin")
    assert len(calls) == 1


def test_plugins_lists_plugins_with_hooks(
    kind: Kind, world: World, extra_plugins: list[object]
) -> None:
    extra_plugins.append(("hello", HelloPlugin()))
    result = kind("plugins")
    assert result.exit_code == 0
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "VERSION", "DISTRIBUTION", "HOOKS"]
    hello = next(r for r in rows if r.startswith("hello "))
    assert hello.split() == ["hello", "builtin", "pykind", "pykind_register_commands"]


def test_plugins_json_includes_failed_and_disabled(
    kind: Kind, world: World, extra_plugins: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    extra_plugins.append(("hello", HelloPlugin()))
    real = state_module.load_plugin_manager

    def load(blocked: list[str]) -> Any:
        pm = real(blocked)
        pm.failed["broken"] = "ImportError: no module named nope"
        return pm

    monkeypatch.setattr(state_module, "load_plugin_manager", load)
    data = json.loads(kind("plugins", "-o", "json", "--disable-plugin", "hello").stdout)
    by_name = {d["name"]: d for d in data}
    assert by_name["broken"]["status"] == "failed"
    assert by_name["broken"]["error"] == "ImportError: no module named nope"
    assert by_name["hello"]["status"] == "disabled"
    assert by_name["pykind.cluster.steps"]["status"] == "loaded"
    assert set(by_name["pykind.cluster.steps"]) >= {"version", "distribution", "hooks"}
    text = kind("plugins").stdout
    assert "failed to load: ImportError" in text
