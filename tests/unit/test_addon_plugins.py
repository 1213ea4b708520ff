"""The shipped add-ons (ingress-nginx, contour, registry) on the in-memory provider."""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pykind.addons import images as addon_images
from pykind.addons import install_addon, prepare_config, remove_addon, resolve_selection
from pykind.addons.images import CTR_IMPORT
from pykind.addons.kubectl import ADMIN_KUBECONFIG
from pykind.config.models import ClusterConfig, Node, NodeRole, PortMapping
from pykind.errors import AddonError, ConfigError
from pykind.plugin.manager import PykindPluginManager, create_plugin_manager
from pykind_contour import plugin as contour
from pykind_ingress_nginx import plugin as ingress
from pykind_registry import plugin as registry
from tests.unit.test_addon_fakes import FakeProvider

KUBECTL = ("kubectl", f"--kubeconfig={ADMIN_KUBECONFIG}")
SHA = "ab" * 32

MANIFEST = b"""\
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller
  namespace: demo
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: demo/init:1
      containers:
      - name: controller
        image: demo/controller:1@sha256:%s
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: job
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: job
            image: demo/job:1
""" % (b"1" * 64)


@pytest.fixture(autouse=True)
def ctr_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addon_images, "_shared_loader", lambda: None)


@pytest.fixture
def pm() -> PykindPluginManager:
    return create_plugin_manager(autoload=False, extra=[ingress, contour, registry])


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "deploy.yaml"
    path.write_bytes(MANIFEST)
    return path


def _runs(provider: FakeProvider) -> list[tuple[str, tuple[str, ...], bytes]]:
    return [(e[1], e[2], e[3]) for e in provider.events if e[0] == "run"]


# ---------------------------------------------------------------- ingress-nginx: options, prepare
def test_ingress_needs_a_checksum_or_a_local_manifest(pm: PykindPluginManager) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_selection(pm, {"ingress-nginx": {}})
    assert str(info.value) == (
        "add-on 'ingress-nginx': no sha256 is pinned for version controller-v1.15.1 "
        "(pinned: none); pass sha256=<checksum of the manifest> or manifest=PATH (a local copy)"
    )


def test_ingress_rejects_a_malformed_version(pm: PykindPluginManager) -> None:
    with pytest.raises(ConfigError, match="option 'version': expected a release tag"):
        resolve_selection(pm, {"ingress-nginx": {"version": "../main", "sha256": SHA}})


def test_ingress_rejects_a_malformed_checksum(pm: PykindPluginManager) -> None:
    with pytest.raises(ConfigError, match="option 'sha256': expected a sha256 checksum"):
        resolve_selection(pm, {"ingress-nginx": {"sha256": "xyz"}})


def test_ingress_prepare_ports_and_label(pm: PykindPluginManager) -> None:
    config = ClusterConfig(name="c", nodes=[Node(role=NodeRole.WORKER), Node(), Node()])
    result = prepare_config(pm, config, {"ingress-nginx": {"sha256": SHA, "http_port": "8080"}})
    target = result.nodes[1]
    assert target.labels == {"ingress-ready": "true"}
    assert [m.to_yaml_dict() for m in target.extra_port_mappings] == [
        {"containerPort": 80, "hostPort": 8080, "listenAddress": "0.0.0.0", "protocol": "TCP"},
        {"containerPort": 443, "hostPort": 443, "listenAddress": "0.0.0.0", "protocol": "TCP"},
    ]
    assert result.nodes[0].extra_port_mappings == result.nodes[2].extra_port_mappings == []
    assert result.nodes[0].labels == result.nodes[2].labels == {}


def test_ingress_keeps_the_users_own_mapping(pm: PykindPluginManager) -> None:
    own = PortMapping(container_port=80, host_port=9080)
    config = ClusterConfig(nodes=[Node(extra_port_mappings=[own])])
    result = prepare_config(pm, config, {"ingress-nginx": {"sha256": SHA}})
    mappings = [(m.container_port, m.host_port) for m in result.nodes[0].extra_port_mappings]
    assert mappings == [(80, 9080), (443, 443)]


def test_ingress_host_port_conflict(pm: PykindPluginManager) -> None:
    taken = PortMapping(container_port=30080, host_port=80, listen_address="127.0.0.1")
    config = ClusterConfig(nodes=[Node(), Node(role=NodeRole.WORKER, extra_port_mappings=[taken])])
    with pytest.raises(ConfigError) as info:
        prepare_config(pm, config, {"ingress-nginx": {"sha256": SHA}})
    assert str(info.value) == (
        "nodes[1].extraPortMappings: add-on 'ingress-nginx': host port 80/TCP is already "
        "mapped (to container port 30080)"
    )


def test_two_ingress_controllers_clash(pm: PykindPluginManager) -> None:
    with pytest.raises(
        ConfigError,
        match="add-on 'ingress-nginx': cannot be installed together with add-on 'contour'",
    ):
        prepare_config(
            pm, ClusterConfig(), {"ingress-nginx": {"sha256": SHA}, "contour": {"sha256": SHA}}
        )


def test_ingress_label_conflict(pm: PykindPluginManager) -> None:
    config = ClusterConfig(nodes=[Node(labels={"ingress-ready": "false"})])
    with pytest.raises(ConfigError, match="needs node label ingress-ready=true"):
        prepare_config(pm, config, {"ingress-nginx": {"sha256": SHA}})


# ---------------------------------------------------------------- ingress-nginx: install
def test_ingress_install_from_local_manifest(pm: PykindPluginManager, manifest: Path) -> None:
    provider = FakeProvider(roles=("control-plane", "worker"))
    provider.images = {"demo/init:1": "id1", "demo/controller:1": "id2"}
    warnings = install_addon(
        provider, "c", "ingress-nginx", {"manifest": str(manifest), "timeout": "120"}, pm=pm
    )
    assert warnings == [
        "add-on 'ingress-nginx' sets host port mappings 0.0.0.0:80->80/TCP, "
        "0.0.0.0:443->443/TCP and node labels ingress-ready=true when a cluster is created; "
        "the existing cluster 'c' does not get them (choose the add-on with --addon at create "
        "time)",
        "add-on 'ingress-nginx': image(s) not found in the fake engine, so not preloaded "
        "(the nodes pull them if they can reach a registry): demo/job:1",
    ]
    archive = b"archive:demo/init:1,demo/controller:1"
    assert _runs(provider) == [
        ("c-control-plane", CTR_IMPORT, archive),
        ("c-worker", CTR_IMPORT, archive),
        ("c-control-plane", (*KUBECTL, "apply", "-f", "-"), MANIFEST),
        (
            "c-control-plane",
            (
                *KUBECTL,
                "wait",
                "--namespace=ingress-nginx",
                "--for=condition=ready",
                "pod",
                "--selector=app.kubernetes.io/component=controller",
                "--timeout=120s",
            ),
            b"",
        ),
    ]


def test_ingress_install_from_cache(
    pm: PykindPluginManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = hashlib.sha256(MANIFEST).hexdigest()
    monkeypatch.setenv("PYKIND_CACHE_DIR", str(tmp_path))
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / f"{sha}.yaml").write_bytes(MANIFEST)
    provider = FakeProvider()
    install_addon(provider, "c", "ingress-nginx", {"sha256": f"sha256:{sha}"}, pm=pm)
    applied = [r for r in _runs(provider) if "apply" in r[1]]
    assert applied == [("c-control-plane", (*KUBECTL, "apply", "-f", "-"), MANIFEST)]


def test_ingress_local_manifest_checksum_mismatch(pm: PykindPluginManager, manifest: Path) -> None:
    provider = FakeProvider()
    with pytest.raises(AddonError, match="checksum mismatch for manifest file"):
        install_addon(
            provider, "c", "ingress-nginx", {"manifest": str(manifest), "sha256": SHA}, pm=pm
        )
    assert _runs(provider) == []


def test_ingress_remove(pm: PykindPluginManager, manifest: Path) -> None:
    provider = FakeProvider()
    remove_addon(provider, "c", "ingress-nginx", {"manifest": str(manifest)}, pm=pm)
    assert _runs(provider) == [
        (
            "c-control-plane",
            (*KUBECTL, "delete", "--ignore-not-found", "--wait=false", "-f", "-"),
            MANIFEST,
        )
    ]


# ---------------------------------------------------------------- contour
def test_contour_install_patches_envoy_and_waits(pm: PykindPluginManager, manifest: Path) -> None:
    provider = FakeProvider()
    config = prepare_config(pm, ClusterConfig(), {"contour": {"manifest": str(manifest)}})
    assert config.nodes[0].labels == {"ingress-ready": "true"}
    assert {m.container_port for m in config.nodes[0].extra_port_mappings} == {80, 443}
    install_addon(provider, "c", "contour", {"manifest": str(manifest)}, pm=pm)
    runs = [r[1] for r in _runs(provider)]
    assert runs[0] == (*KUBECTL, "apply", "-f", "-")
    patch = runs[1]
    assert patch[:-1] == (
        *KUBECTL,
        "patch",
        "daemonsets",
        "--namespace=projectcontour",
        "envoy",
        "--patch",
    )
    body = json.loads(patch[-1])
    pod = body["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"ingress-ready": "true"}
    assert {t["key"] for t in pod["tolerations"]} == {
        "node-role.kubernetes.io/control-plane",
        "node-role.kubernetes.io/master",
    }
    assert runs[2:] == [
        (
            *KUBECTL,
            "rollout",
            "status",
            "--namespace=projectcontour",
            "deployment/contour",
            "--timeout=90s",
        ),
        (
            *KUBECTL,
            "rollout",
            "status",
            "--namespace=projectcontour",
            "daemonset/envoy",
            "--timeout=90s",
        ),
    ]


# ---------------------------------------------------------------- registry
class FakeContainer:
    def __init__(self, engine: FakeEngine, name: str, status: str = "running") -> None:
        self.engine = engine
        self.name = name
        self.status = status
        self.networks: dict[str, Any] = {}

    @property
    def attrs(self) -> dict[str, Any]:
        return {"NetworkSettings": {"Networks": dict(self.networks)}}

    def reload(self) -> None:
        pass

    def start(self) -> None:
        self.engine.calls.append(("start", self.name))
        self.status = "running"

    def remove(self, *, force: bool, v: bool) -> None:
        self.engine.calls.append(("remove", self.name, force, v))
        del self.engine.containers[self.name]


class NotFound(Exception):
    """Named like the SDKs' error."""


class FakeEngine:
    """Just the docker/podman SDK calls the registry add-on makes."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.containers: dict[str, FakeContainer] = {}
        self.network = ""
        engine = self

        class Containers:
            def get(self, name: str) -> FakeContainer:
                if name not in engine.containers:
                    raise NotFound(name)
                return engine.containers[name]

            def run(self, image: str, **kwargs: Any) -> FakeContainer:
                engine.calls.append(("run", image, kwargs))
                container = FakeContainer(engine, kwargs["name"])
                container.networks["bridge"] = {}
                engine.containers[kwargs["name"]] = container
                return container

        class Network:
            def __init__(self, name: str) -> None:
                self.name = name

            def connect(self, container: str) -> None:
                engine.calls.append(("connect", self.name, container))
                engine.containers[container].networks[self.name] = {}

        class Networks:
            def get(self, name: str) -> Network:
                return Network(name)

        self.containers_api = Containers()
        self.networks_api = Networks()

    @property
    def containers_(self) -> Any:
        return self.containers_api


class EngineProvider(FakeProvider):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.engine = FakeEngine()
        self.client = type(
            "Client",
            (),
            {"containers": self.engine.containers_api, "networks": self.engine.networks_api},
        )()
        for node in self.nodes:
            container = FakeContainer(self.engine, node.name)
            container.networks["kind"] = {}
            self.engine.containers[node.name] = container
        self.pulled: list[str] = []

    def pull_image(self, image: str) -> None:
        self.pulled.append(image)


def test_registry_prepare_adds_config_path_once(pm: PykindPluginManager) -> None:
    config = prepare_config(pm, ClusterConfig(), {"registry": {}})
    again = prepare_config(pm, config, {"registry": {}})
    assert again.containerd_config_patches == [
        '[plugins."io.containerd.grpc.v1.cri".registry]\n'
        '  config_path = "/etc/containerd/certs.d"\n'
    ]
    untouched = prepare_config(pm, ClusterConfig(), {"registry": {"patch_containerd": "false"}})
    assert untouched.containerd_config_patches == []


@pytest.fixture
def registry_server() -> Iterator[int]:
    """A stand-in registry API on a loopback port answering ``GET /v2/``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/v2/" else 404)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_registry_install(pm: PykindPluginManager, registry_server: int) -> None:
    provider = EngineProvider(roles=("control-plane", "worker", "external-load-balancer"))
    options = {"host_port": str(registry_server), "image": "pykind-test/registry:1"}
    warnings = install_addon(provider, "c", "registry", options, pm=pm)
    assert provider.pulled == ["pykind-test/registry:1"]  # absent from the engine: pulled first
    run = provider.engine.calls[0]
    assert run == (
        "run",
        "pykind-test/registry:1",
        {
            "name": "kind-registry",
            "detach": True,
            "ports": {"5000/tcp": ("127.0.0.1", registry_server)},
            "labels": {"dev.pykind.addon": "registry"},
            "restart_policy": {"Name": "always"},
        },
    )
    assert provider.engine.calls[1] == ("connect", "kind", "kind-registry")
    hosts_dir = f"/etc/containerd/certs.d/localhost:{registry_server}"
    hosts = b'[host."http://kind-registry:5000"]\n'
    runs = _runs(provider)
    for node in ("c-control-plane", "c-worker"):
        assert (node, ("mkdir", "-p", hosts_dir), b"") in runs
        assert (node, ("cp", "/dev/stdin", f"{hosts_dir}/hosts.toml"), hosts) in runs
        assert (node, ("cat", "/etc/containerd/config.toml"), b"") in runs
    assert not [r for r in runs if r[0] == "c-external-load-balancer"]
    configmap = runs[-1]
    assert configmap[:2] == ("c-control-plane", (*KUBECTL, "apply", "-f", "-"))
    assert f'host: "localhost:{registry_server}"'.encode() in configmap[2]
    assert b"name: local-registry-hosting\n  namespace: kube-public\n" in configmap[2]
    # the fake nodes' containerd config is empty: installing later cannot use certs.d
    assert len(warnings) == 2 and "containerd has no config_path set" in warnings[0]


def test_registry_reuses_a_stopped_container(pm: PykindPluginManager, registry_server: int) -> None:
    provider = EngineProvider()
    existing = FakeContainer(provider.engine, "kind-registry", status="exited")
    existing.networks["kind"] = {}
    provider.engine.containers["kind-registry"] = existing
    status_calls = install_addon(provider, "c", "registry", {"host_port": registry_server}, pm=pm)
    assert provider.engine.calls == [("start", "kind-registry")]
    assert status_calls  # the config_path warning only
    assert provider.pulled == []


def test_registry_not_answering(pm: PykindPluginManager) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = EngineProvider()
    with pytest.raises(
        AddonError, match=rf"the registry at http://127\.0\.0\.1:{port}/v2/ did not"
    ):
        install_addon(provider, "c", "registry", {"host_port": port, "timeout": "0.2"}, pm=pm)


def test_registry_remove(pm: PykindPluginManager) -> None:
    provider = EngineProvider(roles=("control-plane", "worker"))
    provider.engine.containers["kind-registry"] = FakeContainer(provider.engine, "kind-registry")
    remove_addon(provider, "c", "registry", pm=pm)
    assert provider.engine.calls == [("remove", "kind-registry", True, True)]
    runs = [r[:2] for r in _runs(provider)]
    assert runs == [
        (
            "c-control-plane",
            (
                *KUBECTL,
                "delete",
                "--ignore-not-found",
                "--namespace=kube-public",
                "configmap/local-registry-hosting",
            ),
        ),
        ("c-control-plane", ("rm", "-rf", "/etc/containerd/certs.d/localhost:5001")),
        ("c-worker", ("rm", "-rf", "/etc/containerd/certs.d/localhost:5001")),
    ]
    warnings = remove_addon(provider, "c", "registry", pm=pm)
    assert warnings == ["no registry container 'kind-registry' to remove"]


def test_registry_needs_an_engine_client(pm: PykindPluginManager) -> None:
    with pytest.raises(AddonError, match="does not expose a docker- or podman-compatible engine"):
        install_addon(FakeProvider(), "c", "registry", pm=pm)


def test_registry_rejects_bad_container_name(pm: PykindPluginManager) -> None:
    with pytest.raises(ConfigError, match="option 'name': not a valid container name"):
        resolve_selection(pm, {"registry": {"name": "a b"}})
