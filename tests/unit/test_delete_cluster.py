"""``delete cluster`` with the in-memory provider: idempotent, hook first, kubeconfig cleaned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pykind.cluster.create import create_cluster
from pykind.cluster.delete import delete_cluster
from pykind.config.models import ClusterConfig, Node, NodeRole
from pykind.errors import PluginError
from pykind.plugin import hookimpl
from pykind.plugin.manager import PykindPluginManager
from pykind.runtime.protocols import Node as RuntimeNode
from pykind.testing.fakes import FakeProvider

pytest_plugins = ["pykind.testing.fixtures"]


@pytest.fixture(autouse=True)
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setenv("HOME", str(tmp_path))
    return path


def make(pm: PykindPluginManager, provider: FakeProvider, name: str, workers: int = 1) -> None:
    nodes = [Node(role=NodeRole.CONTROL_PLANE)] + [Node(role=NodeRole.WORKER)] * workers
    create_cluster(pm, provider, ClusterConfig(name=name, nodes=nodes))


def contexts(path: Path) -> list[str]:
    doc = yaml.safe_load(path.read_text()) or {}
    return [c["name"] for c in doc.get("contexts") or []]


def test_delete_removes_nodes_and_only_this_clusters_kubeconfig_entries(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, kubeconfig: Path
) -> None:
    make(plugin_manager, fake_provider, "one")
    make(plugin_manager, fake_provider, "two")
    assert contexts(kubeconfig) == ["kind-one", "kind-two"]
    deleted = delete_cluster(plugin_manager, fake_provider, "one")
    assert deleted == ["one-control-plane", "one-worker"]
    assert fake_provider.list_clusters() == ["two"]
    assert contexts(kubeconfig) == ["kind-two"]


def test_delete_is_idempotent(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, kubeconfig: Path
) -> None:
    make(plugin_manager, fake_provider, "again")
    assert delete_cluster(plugin_manager, fake_provider, "again")
    assert delete_cluster(plugin_manager, fake_provider, "again") == []
    assert delete_cluster(plugin_manager, fake_provider, "never-existed") == []
    assert contexts(kubeconfig) == []


def test_delete_with_an_explicit_kubeconfig(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, tmp_path: Path
) -> None:
    explicit = tmp_path / "explicit.yaml"
    nodes = [Node(role=NodeRole.CONTROL_PLANE)]
    create_cluster(
        plugin_manager, fake_provider, ClusterConfig(name="ex", nodes=nodes), kubeconfig=explicit
    )
    assert contexts(explicit) == ["kind-ex"]
    delete_cluster(plugin_manager, fake_provider, "ex", kubeconfig=explicit)
    assert contexts(explicit) == []


def test_delete_when_containers_are_half_gone_and_the_entry_is_missing(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, kubeconfig: Path
) -> None:
    make(plugin_manager, fake_provider, "half", workers=2)
    fake_provider.delete_nodes([fake_provider.node("half-worker")])
    kubeconfig.unlink()
    deleted = delete_cluster(plugin_manager, fake_provider, "half")
    assert deleted == ["half-control-plane", "half-worker2"]
    assert fake_provider.list_clusters() == []
    assert not kubeconfig.exists()


def test_deleting_hook_runs_before_the_containers_go(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    seen: list[tuple[str, list[str], bool]] = []

    class Listener:
        @hookimpl
        def pykind_cluster_deleting(self, name: str, nodes: list[RuntimeNode]) -> None:
            alive = all(not fake_provider.node(n.name).removed for n in nodes)
            seen.append((name, [n.name for n in nodes], alive))

    register_plugin(Listener())
    make(plugin_manager, fake_provider, "hooked", workers=0)
    delete_cluster(plugin_manager, fake_provider, "hooked")
    delete_cluster(plugin_manager, fake_provider, "hooked")  # nothing left: no event
    assert seen == [("hooked", ["hooked-control-plane"], True)]


def test_a_failing_hook_does_not_keep_the_containers(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    class Broken:
        @hookimpl
        def pykind_cluster_deleting(self, name: str, nodes: list[RuntimeNode]) -> None:
            raise RuntimeError("archive failed")

    make(plugin_manager, fake_provider, "brk", workers=0)
    register_plugin(Broken())
    with pytest.raises(PluginError, match="archive failed"):
        delete_cluster(plugin_manager, fake_provider, "brk")
    assert fake_provider.list_clusters() == []
