"""The third-party example package: installed with pip like any plugin, then discovered through
its entry point and working (its add-on and its command)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from pykind.addons import install_addon, list_addons, remove_addon
from pykind.addons.kubectl import ADMIN_KUBECONFIG
from pykind.plugin.manager import PykindPluginManager, create_plugin_manager
from tests.unit.test_addon_fakes import FakeProvider

PACKAGE = Path(__file__).resolve().parents[2] / "examples" / "third-party-addon"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install`` of the example into a folder of its own (the running environment is left
    alone; pykind itself is already installed, hence ``--no-deps``)."""
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(PACKAGE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return target


@pytest.fixture
def pm(site: Path, monkeypatch: pytest.MonkeyPatch) -> PykindPluginManager:
    monkeypatch.syspath_prepend(str(site))
    return create_plugin_manager()


def test_installed_package_has_the_entry_point(site: Path) -> None:
    dist_info = next(site.glob("pykind_hello-0.1.0.dist-info"))
    entry_points = (dist_info / "entry_points.txt").read_text()
    assert "[pykind]" in entry_points and "hello = pykind_hello.plugin" in entry_points


def test_not_discovered_without_the_package() -> None:
    assert "hello" not in create_plugin_manager().addons()


def test_discovered_through_its_entry_point(pm: PykindPluginManager) -> None:
    assert "hello" in pm.addons()
    assert pm.distributions["hello"] == ("pykind-hello", "0.1.0")
    info = {i.name: i for i in list_addons(pm)}["hello"]
    assert (info.distribution, info.version, info.options) == (
        "pykind-hello",
        "0.1.0",
        ("message", "namespace"),
    )
    plugins = {p["name"]: p for p in pm.plugin_infos()}
    assert plugins["hello"]["distribution"] == "pykind-hello"
    assert set(plugins["hello"]["hooks"]) == {"pykind_addons", "pykind_register_commands"}


def test_its_addon_creates_a_configmap(pm: PykindPluginManager) -> None:
    provider = FakeProvider()
    install_addon(provider, "c", "hello", {"message": "hi there"}, pm=pm)
    runs = [(e[1], e[2], e[3]) for e in provider.events if e[0] == "run"]
    assert len(runs) == 1
    node, argv, stdin = runs[0]
    assert (node, argv) == (
        "c-control-plane",
        ("kubectl", f"--kubeconfig={ADMIN_KUBECONFIG}", "apply", "-f", "-"),
    )
    assert yaml.safe_load(stdin) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "hello", "namespace": "default"},
        "data": {"message": "hi there"},
    }
    remove_addon(provider, "c", "hello", pm=pm)
    assert "delete" in provider.events[-1][2]


def test_its_command(pm: PykindPluginManager) -> None:
    @click.group()
    def cli() -> None:
        pass

    pm.hook.pykind_register_commands(cli=cli)
    result = CliRunner().invoke(cli, ["hello", "world"])
    assert result.exit_code == 0, result.output
    assert result.output == "Hello, world!\n"


def test_kind_command_line_lists_and_runs_it(site: Path) -> None:
    pytest.importorskip("pykind.cli.app", reason="the command line is not merged yet")
    env = {**os.environ, "PYTHONPATH": str(site)}

    def kind(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "pykind.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    plugins = {p["name"]: p for p in json.loads(kind("plugins", "-o", "json"))}
    assert plugins["hello"]["distribution"] == "pykind-hello"
    assert plugins["hello"]["status"] == "loaded"
    addons = {a["name"] for a in json.loads(kind("addon", "list", "-o", "json"))}
    assert {"hello", "ingress-nginx", "contour", "registry"} <= addons
    assert kind("hello", "world") == "Hello, world!\n"
