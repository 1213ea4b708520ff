"""Flags reach the library (the fake ClusterManager) as the agreed keyword arguments."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from types import SimpleNamespace

import pytest

from pykind.errors import ConfigError
from tests.cli.fakes import Kind, World


def only_call(world: World, method: str) -> tuple[tuple[object, ...], dict[str, object]]:
    calls = world.called(method)
    assert len(calls) == 1, calls
    return calls[0]


# ---------------------------------------------------------------- create cluster
def test_create_defaults(kind: Kind, world: World) -> None:
    result = kind("create", "cluster")
    assert result.exit_code == 0, result.stderr
    args, kwargs = only_call(world, "create")
    assert args == (None,)
    assert kwargs == {
        "config": None,
        "image": None,
        "retain": False,
        "wait": 0.0,
        "kubeconfig": None,
        "addons": None,
        "strict_patches": False,
    }
    assert world.managers[0].provider_name is None


def test_create_every_flag(kind: Kind, world: World, tmp_path: Path) -> None:
    config = tmp_path / "kind.yaml"
    config.write_text("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n")
    result = kind(
        "create",
        "cluster",
        "-n",
        "dev",
        "--config",
        str(config),
        "--image",
        "kindest/node:v1.36.1",
        "--retain",
        "--wait",
        "5m30s",
        "--kubeconfig",
        str(tmp_path / "kc"),
        "--addon",
        "ingress-nginx:http_port=8080,version=v1",
        "--addon",
        "metrics",
        "--strict-patches",
        "--provider",
        "podman",
    )
    assert result.exit_code == 0, result.stderr
    args, kwargs = only_call(world, "create")
    assert args == ("dev",)
    assert kwargs == {
        "config": config,
        "image": "kindest/node:v1.36.1",
        "retain": True,
        "wait": 330.0,
        "kubeconfig": str(tmp_path / "kc"),
        "addons": {"ingress-nginx": {"http_port": "8080", "version": "v1"}, "metrics": {}},
        "strict_patches": True,
    }
    assert world.managers[0].provider_name == "podman"
    assert "dev" in world.clusters["podman"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0.0), ("60s", 60.0), ("1m", 60.0), ("1h", 3600.0), ("1.5s", 1.5), ("300ms", 0.3)],
)
def test_create_wait_durations(kind: Kind, world: World, text: str, seconds: float) -> None:
    assert kind("create", "cluster", "--wait", text).exit_code == 0
    assert only_call(world, "create")[1]["wait"] == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["60", "abc", "1x", "", "m"])
def test_create_wait_invalid(kind: Kind, world: World, text: str) -> None:
    result = kind("create", "cluster", "--wait", text)
    assert result.exit_code == 1
    assert f'time: invalid duration "{text}"' in result.stderr
    assert result.stderr.startswith("ERROR: ")
    assert world.called("create") == []


def test_create_name_precedence(kind: Kind, world: World, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: fromconfig\n")
    # config name: the library applies it; the CLI names it in its first line
    result = kind("create", "cluster", "--config", str(config))
    assert only_call(world, "create")[0] == (None,)
    assert 'Creating cluster "fromconfig" ...' in result.stderr
    # env beats config
    result = kind("create", "cluster", "--config", str(config), env={"KIND_CLUSTER_NAME": "env"})
    assert world.called("create")[-1][0] == ("env",)
    assert 'Creating cluster "env" ...' in result.stderr
    # flag beats env
    kind("create", "cluster", "--name", "flag", env={"KIND_CLUSTER_NAME": "env"})
    assert world.called("create")[-1][0] == ("flag",)


def test_create_config_from_stdin(
    kind: Kind, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--config -`` reads stdin and hands the text to the config loader."""
    seen: list[tuple[str, str]] = []

    class Config:
        name = "stdin-cluster"

    def parse_config(text: str, *, source: str) -> SimpleNamespace:
        seen.append((text, source))
        return SimpleNamespace(config=Config(), warnings=("reported again by create",))

    loader = types.ModuleType("pykind.config.loader")
    loader.parse_config = parse_config  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pykind.config.loader", loader)
    text = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
    result = kind("create", "cluster", "--config", "-", input=text)
    assert result.exit_code == 0, result.stderr
    assert seen == [(text, "<stdin>")]
    assert isinstance(only_call(world, "create")[1]["config"], Config)
    assert 'Creating cluster "stdin-cluster" ...' in result.stderr
    assert "reported again" not in result.stderr


def test_create_config_from_stdin_invalid(
    kind: Kind, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def parse_config(text: str, *, source: str) -> SimpleNamespace:
        raise ConfigError("unknown field", field="nodes[0].rolez")

    loader = types.ModuleType("pykind.config.loader")
    loader.parse_config = parse_config  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pykind.config.loader", loader)
    result = kind("create", "cluster", "--config", "-", input="nodes: [{rolez: x}]\n")
    assert result.exit_code == 1
    assert result.stderr == "ERROR: failed to create cluster: nodes[0].rolez: unknown field\n"
    assert world.called("create") == []


def test_create_config_from_stdin_real_loader(kind: Kind, world: World) -> None:
    from pykind.config.models import ClusterConfig

    text = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: piped\n"
    result = kind("create", "cluster", "--config", "-", input=text)
    assert result.exit_code == 0, result.stderr
    config = only_call(world, "create")[1]["config"]
    assert isinstance(config, ClusterConfig) and config.name == "piped"
    assert result.stderr.startswith('Creating cluster "piped" ...\n')
    bad = kind("create", "cluster", "--config", "-", input="kind: Cluster\nnodes: 3\n")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("ERROR: failed to create cluster: ")
    assert len(bad.stderr.splitlines()) == 1


def test_create_cni_only_when_given(kind: Kind, world: World) -> None:
    kind("create", "cluster")
    assert "cni" not in only_call(world, "create")[1]
    kind("create", "cluster", "--cni", "calico")
    assert world.called("create")[-1][1]["cni"] == "calico"


def test_create_addon_spec_normalised(kind: Kind, world: World) -> None:
    kind("create", "cluster", "--addon", "Ingress-NGINX:http-port=80,extra=a=b")
    assert only_call(world, "create")[1]["addons"] == {
        "ingress-nginx": {"http_port": "80", "extra": "a=b"}
    }


@pytest.mark.parametrize(
    "spec",
    ["", ":a=b", "x:novalue", "x:=v", "a:b=c,d", "x:", "x:a=1,a=2"],
    ids=["empty", "noname", "noeq", "nokey", "2nd", "nothing-after-colon", "twice"],
)
def test_create_bad_addon_spec(kind: Kind, world: World, spec: str) -> None:
    result = kind("create", "cluster", "--addon", spec)
    assert result.exit_code == 1
    assert result.stderr.startswith("ERROR: ")
    assert len(result.stderr.splitlines()) == 1
    assert world.called("create") == []


def test_create_duplicate_addon(kind: Kind, world: World) -> None:
    result = kind("create", "cluster", "--addon", "a", "--addon", "a:x=1")
    assert result.exit_code == 1
    assert "given more than once" in result.stderr


# ---------------------------------------------------------------- delete
def test_delete_cluster(kind: Kind, world: World) -> None:
    world.add_cluster("kind", workers=1)
    result = kind("delete", "cluster", "--kubeconfig", "/tmp/kc")
    assert result.exit_code == 0
    assert only_call(world, "delete") == (("kind",), {"kubeconfig": "/tmp/kc"})


def test_delete_cluster_name_from_env(kind: Kind, world: World) -> None:
    kind("delete", "cluster", env={"KIND_CLUSTER_NAME": "envname"})
    assert only_call(world, "delete")[0] == ("envname",)
    kind("delete", "cluster", "-n", "flag", env={"KIND_CLUSTER_NAME": "envname"})
    assert world.called("delete")[-1][0] == ("flag",)


def test_delete_clusters_names_and_all(kind: Kind, world: World) -> None:
    for name in ("a", "b", "c"):
        world.add_cluster(name)
    assert kind("delete", "clusters", "a", "b").exit_code == 0
    assert [c[0] for c in world.called("delete")] == [("a",), ("b",)]
    world.add_cluster("d")
    assert kind("delete", "clusters", "--all", "--kubeconfig", "k").exit_code == 0
    assert [c[0] for c in world.called("delete")][2:] == [("c",), ("d",)]
    assert world.called("delete")[-1][1] == {"kubeconfig": "k"}


def test_delete_clusters_needs_names(kind: Kind, world: World) -> None:
    result = kind("delete", "clusters")
    assert result.exit_code == 1
    assert result.stderr == "ERROR: no cluster names provided\n"


# ---------------------------------------------------------------- get / export
def test_get_kubeconfig(kind: Kind, world: World) -> None:
    world.add_cluster("dev")
    result = kind("get", "kubeconfig", "--name", "dev", "--internal")
    assert result.exit_code == 0
    assert only_call(world, "kubeconfig") == (("dev",), {"internal": True})
    assert "server: https://kind-control-plane:6443" in result.stdout


def test_export_kubeconfig(kind: Kind, world: World) -> None:
    result = kind("export", "kubeconfig", "-n", "dev", "--kubeconfig", "/x", "--internal")
    assert result.exit_code == 0
    assert only_call(world, "export_kubeconfig") == (
        ("dev",),
        {"internal": True, "kubeconfig": "/x"},
    )
    assert result.stderr == 'Set kubectl context to "kind-dev"\n'


def test_export_logs_to_dir(kind: Kind, world: World, tmp_path: Path) -> None:
    world.add_cluster("kind")
    result = kind("export", "logs", str(tmp_path / "logs"))
    assert result.exit_code == 0
    assert only_call(world, "collect_logs")[0] == ("kind", tmp_path / "logs")
    assert result.stdout == f"{tmp_path / 'logs'}\n"
    assert result.stderr == 'Exporting logs for cluster "kind" to:\n'


def test_export_logs_tempdir(kind: Kind, world: World) -> None:
    world.add_cluster("kind")
    result = kind("export", "logs")
    assert result.exit_code == 0
    dest = only_call(world, "collect_logs")[0][1]
    assert isinstance(dest, Path) and dest.is_dir()
    assert result.stdout == f"{dest}\n"
    dest.rmdir()


def test_export_logs_unknown_cluster(kind: Kind, world: World) -> None:
    result = kind("export", "logs", "--name", "ghost")
    assert result.exit_code == 1
    assert result.stderr == 'ERROR: unknown cluster "ghost"\n'
    assert world.called("collect_logs") == []


# ---------------------------------------------------------------- load / build
def test_load_docker_image(kind: Kind, world: World) -> None:
    result = kind(
        "load",
        "docker-image",
        "a:1",
        "b:2",
        "a:1",
        "--name",
        "dev",
        "--nodes",
        "n1,n2",
        "--nodes",
        "n3",
    )
    assert result.exit_code == 0, result.stderr
    assert only_call(world, "load_images") == (
        (["a:1", "b:2"],),
        {"name": "dev", "nodes": ["n1", "n2", "n3"]},
    )


def test_load_docker_image_requires_images(kind: Kind, world: World) -> None:
    result = kind("load", "docker-image")
    assert result.exit_code == 1
    assert result.stderr == "ERROR: a list of image names is required\n"


def test_load_image_archive(kind: Kind, world: World, tmp_path: Path) -> None:
    archive = tmp_path / "img.tar"
    archive.write_bytes(b"")
    result = kind("load", "image-archive", str(archive))
    assert result.exit_code == 0
    assert only_call(world, "load_archives") == (([archive],), {"name": "kind", "nodes": None})
    result = kind("load", "image-archive")
    assert result.stderr == "ERROR: name of image archive is required\n"


def test_load_image_unified(kind: Kind, world: World, tmp_path: Path) -> None:
    archive = tmp_path / "img.tar"
    archive.write_bytes(b"")
    result = kind("load", "image", "nginx:1", str(archive), "--nodes", "x")
    assert result.exit_code == 0
    assert only_call(world, "load_images") == ((["nginx:1"],), {"name": "kind", "nodes": ["x"]})
    assert only_call(world, "load_archives") == (([archive],), {"name": "kind", "nodes": ["x"]})


def test_load_image_prefers_library_unified_loader(kind: Kind, world: World) -> None:
    from tests.cli.fakes import FakeManager

    calls: list[object] = []

    def load_any(self: FakeManager, refs: list[str], *, name: str, nodes: object) -> None:
        calls.append((refs, name, nodes))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FakeManager, "load_any", load_any, raising=False)
        assert kind("load", "image", "a", "b.tar", "a", "-n", "dev").exit_code == 0
    assert calls == [(["a", "b.tar"], "dev", None)]
    assert world.called("load_images") == world.called("load_archives") == []


def test_build_node_image(kind: Kind, world: World) -> None:
    result = kind(
        "build",
        "node-image",
        "v1.36.1",
        "--type",
        "release",
        "--image",
        "me/node:dev",
        "--base-image",
        "me/base:1",
        "--arch",
        "arm64",
    )
    assert result.exit_code == 0, result.stderr
    assert only_call(world, "build_node_image") == (
        (),
        {
            "kube_source": "v1.36.1",
            "build_type": "release",
            "image": "me/node:dev",
            "base_image": "me/base:1",
            "arch": "arm64",
        },
    )
    assert result.stderr.endswith('Image "me/node:dev" build completed.\n')


def test_build_node_image_defaults(kind: Kind, world: World) -> None:
    assert kind("build", "node-image").exit_code == 0
    assert only_call(world, "build_node_image")[1] == {
        "kube_source": None,
        "image": "kindest/node:latest",
    }


def test_provider_from_env(kind: Kind, world: World) -> None:
    result = kind("get", "clusters", env={"KIND_EXPERIMENTAL_PROVIDER": "podman"})
    assert result.exit_code == 0
    assert "using podman due to KIND_EXPERIMENTAL_PROVIDER" in result.stderr
    # the flag wins over the environment
    world.add_cluster("d", "docker")
    result = kind(
        "get", "clusters", "--provider", "docker", env={"KIND_EXPERIMENTAL_PROVIDER": "podman"}
    )
    assert result.stdout == "d\n"


def test_create_odd_config_path_goes_to_the_library(kind: Kind, world: World) -> None:
    """The CLI only peeks at the file for its name; reading errors are the library's."""
    for path in ("missing.yaml", "bad\x00name"):
        result = kind("create", "cluster", "--config", path)
        assert result.exit_code == 0, result.stderr
        assert world.called("create")[-1][1]["config"] == Path(path)


def test_create_addons_file_then_flags_override(kind: Kind, world: World, tmp_path: Path) -> None:
    addons_file = tmp_path / "addons.yaml"
    addons_file.write_text(
        "addons:\n"
        "  - name: registry\n"
        "    options: {port: 5002}\n"
        "  - name: ingress-nginx\n"
        "    options: {http_port: 8080}\n"
    )
    kind("create", "cluster", "--addons-file", str(addons_file), "--addon", "registry:port=5003")
    assert only_call(world, "create")[1]["addons"] == {
        "registry": {"port": "5003"},
        "ingress-nginx": {"http_port": 8080},
    }


def test_create_missing_addons_file_is_one_error_line(kind: Kind, world: World) -> None:
    result = kind("create", "cluster", "--addons-file", "/nonexistent/addons.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith("ERROR: ") and "addons.yaml" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert world.called("create") == []
