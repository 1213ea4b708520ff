"""What the CLI prints, on which stream: upstream's lines, plus our -o wide/json."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from pykind.cli.commands.create import SALUTATIONS
from tests.cli.fakes import FakeProvidersPlugin, Kind, World


# ---------------------------------------------------------------- create
def test_create_output_matches_upstream(
    kind: Kind, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(Path.home() / ".kube/config"))
    result = kind("create", "cluster")
    assert result.exit_code == 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[:8] == [
        'Creating cluster "kind" ...',
        " • Ensuring node image (kindest/node:v1.36.1) 🖼  ...",
        " ✓ Ensuring node image (kindest/node:v1.36.1) 🖼",
        " • Preparing nodes 📦  ...",
        " ✓ Preparing nodes 📦",
        'Set kubectl context to "kind-kind"',
        "You can now use your cluster with:",
        "",
    ]
    assert lines[8:10] == ["kubectl cluster-info --context kind-kind", ""]
    assert lines[10] in SALUTATIONS
    assert len(lines) == 11


def test_create_hint_mentions_explicit_kubeconfig(kind: Kind, world: World, tmp_path: Path) -> None:
    path = tmp_path / "my config"
    result = kind("create", "cluster", "--kubeconfig", str(path))
    assert f"kubectl cluster-info --context kind-kind --kubeconfig '{path}'" in result.stderr


def test_create_hint_mentions_non_default_kubeconfig(
    kind: Kind, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    world.create_result = {"kubeconfig_path": tmp_path / "other", "kubeconfig_note": "NOTE: sudo"}
    result = kind("create", "cluster")
    assert f"--kubeconfig {tmp_path / 'other'}" in result.stderr
    assert "NOTE: sudo" in result.stderr


def test_create_hint_omits_kubeconfig_kubectl_reads(
    kind: Kind, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    world.create_result = {"kubeconfig_path": tmp_path / "b"}
    result = kind("create", "cluster")
    assert "kubectl cluster-info --context kind-kind\n" in result.stderr


def test_create_result_warnings_printed(kind: Kind, world: World) -> None:
    world.create_result = {"warnings": ("cluster name is long",)}
    result = kind("create", "cluster")
    assert result.stderr.count("WARNING: cluster name is long\n") == 1


def test_create_warnings_shown_by_status_not_repeated(kind: Kind, world: World) -> None:
    """ctx.warn() already showed it through status.info: CreateResult.warnings repeats it."""
    from tests.cli.fakes import FakeManager

    world.create_result = {"warnings": ("shown during the run",)}
    base = FakeManager.create

    def create(self: FakeManager, name: str | None = None, **kwargs: object) -> object:
        self.status.info("WARNING: shown during the run")
        return base(self, name, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FakeManager, "create", create)
        result = kind("create", "cluster")
    assert result.stderr.count("WARNING: shown during the run") == 1


def test_create_quiet_prints_nothing(kind: Kind, world: World) -> None:
    result = kind("create", "cluster", "-q")
    assert result.exit_code == 0
    assert result.stdout == result.stderr == ""


def test_create_failure_prints_no_banner_before_work(kind: Kind, world: World) -> None:
    from pykind.errors import ClusterExistsError

    world.fail["create"] = ClusterExistsError(
        'node(s) already exist for a cluster with the name "kind"'
    )
    result = kind("create", "cluster")
    assert result.exit_code == 1
    assert result.stderr == (
        "ERROR: failed to create cluster: "
        'node(s) already exist for a cluster with the name "kind"\n'
    )


# ---------------------------------------------------------------- delete
def test_delete_cluster_output(kind: Kind, world: World) -> None:
    world.add_cluster("kind", workers=2)
    result = kind("delete", "cluster")
    assert result.stdout == ""
    assert result.stderr == (
        'Deleting cluster "kind" ...\n'
        'Deleted nodes: ["kind-control-plane" "kind-worker" "kind-worker2"]\n'
    )


def test_delete_absent_cluster_succeeds_quietly(kind: Kind, world: World) -> None:
    result = kind("delete", "cluster", "--name", "ghost")
    assert result.exit_code == 0
    assert result.stderr == 'Deleting cluster "ghost" ...\n'


def test_delete_clusters_output_and_partial_failure(kind: Kind, world: World) -> None:
    from pykind.errors import ProviderError
    from tests.cli.fakes import FakeManager

    world.add_cluster("a")
    world.add_cluster("b")
    base = FakeManager.delete

    def delete(self: FakeManager, name: str = "kind", *, kubeconfig: object = None) -> list[str]:
        if name == "b":
            raise ProviderError("engine said no")
        return base(self, name, kubeconfig=kubeconfig)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FakeManager, "delete", delete)
        result = kind("delete", "clusters", "--all")
    assert result.exit_code == 0
    assert result.stderr == (
        'failed to delete cluster "b": engine said no\nDeleted clusters: ["a"]\n'
    )


def test_delete_clusters_none(kind: Kind, world: World) -> None:
    result = kind("delete", "clusters", "-A")
    assert result.stderr == "Deleted clusters: []\n"


# ---------------------------------------------------------------- get clusters
def test_get_clusters_plain(kind: Kind, world: World) -> None:
    world.add_cluster("b")
    world.add_cluster("a")
    world.add_cluster("p", "podman")
    result = kind("get", "clusters")
    assert result.stdout == "a\nb\n"
    assert result.stderr == ""


def test_get_clusters_none(kind: Kind, world: World) -> None:
    result = kind("get", "clusters")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "No kind clusters found.\n"
    assert kind("get", "clusters", "-q").stderr == ""


def test_get_clusters_wide_lists_both_engines(kind: Kind, world: World) -> None:
    world.add_cluster("dev", "docker", workers=2)
    world.add_cluster("pod", "podman")
    result = kind("get", "clusters", "-o", "wide")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "NAME   ENGINE   NODES   API ENDPOINT",
        "dev    docker   3       127.0.0.1:6443",
        "pod    podman   1       127.0.0.1:6443",
    ]


def test_get_clusters_json(kind: Kind, world: World) -> None:
    world.add_cluster("dev", "docker")
    world.add_cluster("pod", "podman", workers=1)
    data = json.loads(kind("get", "clusters", "-o", "json").stdout)
    assert data == [
        {"name": "dev", "engine": "docker", "nodes": 1, "endpoint": "127.0.0.1:6443"},
        {"name": "pod", "engine": "podman", "nodes": 2, "endpoint": "127.0.0.1:6443"},
    ]


def test_get_clusters_json_skips_unavailable_engine(
    kind: Kind, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(FakeProvidersPlugin.available, "podman", False)
    world.add_cluster("pod", "podman")
    world.add_cluster("dev", "docker")
    data = json.loads(kind("get", "clusters", "-o", "json").stdout)
    assert [d["name"] for d in data] == ["dev"]


def test_get_clusters_json_with_provider_lists_one_engine(kind: Kind, world: World) -> None:
    world.add_cluster("pod", "podman")
    world.add_cluster("dev", "docker")
    data = json.loads(kind("get", "clusters", "-o", "json", "--provider", "podman").stdout)
    assert [d["engine"] for d in data] == ["podman"]


def test_get_clusters_json_empty(kind: Kind, world: World) -> None:
    assert json.loads(kind("get", "clusters", "-o", "json").stdout) == []


# ---------------------------------------------------------------- get nodes
def test_get_nodes(kind: Kind, world: World) -> None:
    world.add_cluster("kind", workers=1)
    world.add_cluster("other")
    assert kind("get", "nodes").stdout == "kind-control-plane\nkind-worker\n"
    assert kind("get", "nodes", "-A").stdout == (
        "kind-control-plane\nkind-worker\nother-control-plane\n"
    )
    data = json.loads(kind("get", "nodes", "-n", "other", "-o", "json").stdout)
    assert data == [{"name": "other-control-plane", "role": "control-plane", "cluster": "other"}]


def test_get_nodes_none(kind: Kind, world: World) -> None:
    result = kind("get", "nodes")
    assert result.stderr == 'No kind nodes found for cluster "kind".\n'
    assert kind("get", "nodes", "-A").stderr == "No kind nodes for any cluster.\n"
    assert kind("get", "nodes", "-o", "json").stdout == "[]\n"


# ---------------------------------------------------------------- version
def test_version(kind: Kind) -> None:
    result = kind("version")
    assert re.fullmatch(r"pykind v\d+\.\d+\.\d+\S* python3\.\d+\.\d+\S* \w+/\w+\n", result.stdout)
    assert kind("--version").stdout == result.stdout
    assert kind("version", "-q").stdout.strip() == result.stdout.split()[1][1:]


# ---------------------------------------------------------------- logging
def test_verbosity_enables_debug_logging(kind: Kind, world: World) -> None:
    from tests.cli.fakes import FakeManager

    def list_clusters(self: FakeManager) -> list[str]:
        logging.getLogger("pykind.fake").debug("listing clusters now")
        logging.getLogger("urllib3").debug("sdk chatter")
        return []

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FakeManager, "list_clusters", list_clusters)
        assert "listing clusters now" not in kind("get", "clusters").stderr
        verbose = kind("get", "clusters", "-v", "1").stderr
        very = kind("-v", "3", "get", "clusters").stderr
    assert "DEBUG pykind.fake: listing clusters now" in verbose
    assert "sdk chatter" not in verbose
    assert "sdk chatter" in very


def test_warnings_logged_by_default_silenced_by_quiet(kind: Kind, world: World) -> None:
    from tests.cli.fakes import FakeManager

    def list_clusters(self: FakeManager) -> list[str]:
        logging.getLogger("pykind.fake").warning("careful")
        return ["x"]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FakeManager, "list_clusters", list_clusters)
        assert kind("get", "clusters").stderr == "WARNING: careful\n"
        assert kind("get", "clusters", "-q").stderr == ""


def test_logging_handler_removed_after_run(kind: Kind, world: World) -> None:
    before = list(logging.getLogger().handlers)
    kind("-v", "3", "get", "clusters")
    assert logging.getLogger().handlers == before
