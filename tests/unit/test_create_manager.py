"""The embedding API, ClusterManager, over the in-memory provider."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pykind import ClusterManager
from pykind.config.models import ClusterConfig, Node, NodeRole
from pykind.errors import ClusterNotFoundError, ProviderNotFoundError
from pykind.plugin.manager import PykindPluginManager
from pykind.status import RecordingStatus
from pykind.testing.fakes import FakeProvider

pytest_plugins = ["pykind.testing.fixtures"]


@pytest.fixture(autouse=True)
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KIND_EXPERIMENTAL_PROVIDER", raising=False)
    return path


@pytest.fixture
def manager(plugin_manager: PykindPluginManager) -> ClusterManager:
    return ClusterManager("fake", plugin_manager=plugin_manager)


def test_provider_is_resolved_lazily_by_name(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    manager = ClusterManager("fake", plugin_manager=plugin_manager)
    assert manager.provider is fake_provider
    unknown = ClusterManager("nope", plugin_manager=plugin_manager)
    with pytest.raises(ProviderNotFoundError, match="fake"):
        _ = unknown.provider
    direct = ClusterManager(fake_provider)
    assert direct.provider is fake_provider


def test_create_list_kubeconfig_delete_round_trip(
    manager: ClusterManager, fake_provider: FakeProvider, kubeconfig: Path
) -> None:
    status = RecordingStatus()
    manager.status = status
    result = manager.create("dev")
    assert result.name == "dev"
    assert result.kubeconfig_path == kubeconfig
    assert manager.list_clusters() == ["dev"]
    assert [n.name for n in manager.list_nodes("dev")] == ["dev-control-plane"]
    assert status.events[0] == ("start", "Ensuring node image (kindest/node:v1.36.1) 🖼")

    text = yaml.safe_load(manager.kubeconfig("dev"))
    endpoint = fake_provider.api_server_endpoint("dev")
    assert text["current-context"] == "kind-dev"
    assert text["clusters"][0]["cluster"]["server"] == f"https://{endpoint}"
    internal = yaml.safe_load(manager.kubeconfig("dev", internal=True))
    assert internal["clusters"][0]["cluster"]["server"] == "https://dev-control-plane:6443"

    assert manager.delete("dev") == ["dev-control-plane"]
    assert manager.list_clusters() == []
    assert manager.delete("dev") == []


def test_name_and_image_override_the_config(
    manager: ClusterManager, fake_provider: FakeProvider
) -> None:
    config = ClusterConfig(
        name="from-config", nodes=[Node(role=NodeRole.CONTROL_PLANE), Node(role=NodeRole.WORKER)]
    )
    manager.create("override", config=config, image="local/node:test")
    plan = fake_provider.plans["override"]
    assert {s.image for s in plan.nodes} == {"local/node:test"}
    # the caller's model is not modified
    assert config.name == "from-config"
    assert config.nodes[0].image != "local/node:test"


def test_config_file_is_loaded_with_its_folder(
    manager: ClusterManager, fake_provider: FakeProvider, tmp_path: Path
) -> None:
    path = tmp_path / "kind.yaml"
    path.write_text(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: fromfile\n"
        "nodes:\n- role: control-plane\n- role: worker\n"
    )
    result = manager.create(config=path)
    assert result.name == "fromfile"
    plan = fake_provider.plans["fromfile"]
    assert plan.config_dir == tmp_path
    assert [s.role for s in plan.nodes] == ["control-plane", "worker"]


def test_export_kubeconfig_to_an_explicit_file(manager: ClusterManager, tmp_path: Path) -> None:
    manager.create("exp")
    target = tmp_path / "exported.yaml"
    assert manager.export_kubeconfig("exp", kubeconfig=target) == target
    doc = yaml.safe_load(target.read_text())
    assert doc["current-context"] == "kind-exp"


def test_kubeconfig_of_a_missing_cluster_is_not_found(manager: ClusterManager) -> None:
    with pytest.raises(ClusterNotFoundError, match='"ghost"'):
        manager.kubeconfig("ghost")


def test_delete_all(manager: ClusterManager) -> None:
    manager.create("a")
    manager.create("b")
    assert manager.delete_all() == ["a", "b"]
    assert manager.list_clusters() == []


def test_images_logs_and_build_are_delegated_with_the_cluster_and_status(
    manager: ClusterManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pykind.build.node_image as build_mod
    import pykind.images.load as load_mod
    import pykind.logs.collect as logs_mod

    calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []

    def recorder(label: str) -> object:
        def record(*args: object, **kwargs: object) -> str:
            calls.append((label, args, kwargs))
            return "ok"

        return record

    monkeypatch.setattr(load_mod, "load_images", recorder("images"))
    monkeypatch.setattr(load_mod, "load_archives", recorder("archives"))
    monkeypatch.setattr(logs_mod, "collect_logs", recorder("logs"))
    monkeypatch.setattr(build_mod, "build_node_image", recorder("build"))
    manager.load_images(["busybox"], name="x", nodes=["x-worker"])
    manager.load_archives(["a.tar"], name="x")
    manager.collect_logs("x", "/tmp/out")
    manager.build_node_image(kube_source="k.tar.gz", image="me/node:1")
    provider = manager.provider
    assert calls[0] == (
        "images",
        (provider, "x", ["busybox"]),
        {"nodes": ["x-worker"], "status": manager.status},
    )
    assert calls[1][1][1] == "x" and [str(p) for p in calls[1][1][2]] == ["a.tar"]  # type: ignore[attr-defined]
    assert calls[2] == ("logs", (provider, "x", "/tmp/out"), {"status": manager.status})
    assert calls[3] == (
        "build",
        (provider,),
        {"kube_source": "k.tar.gz", "image": "me/node:1", "status": manager.status},
    )
