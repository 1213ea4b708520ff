"""The podman provider without a service: endpoints, the libpod spec it posts for upstream's
run flags, network rules, volumes and error translation."""

from __future__ import annotations

import json
from typing import Any

import podman.errors
import pytest

from pykind.errors import ImageNotFoundError, ProviderError, ProviderUnavailableError
from pykind.plugin.manager import create_plugin_manager
from pykind.runtime.engine import BindMount, ContainerRequest, PortBinding
from pykind.runtime.engine_net import ula_subnet
from pykind_podman import endpoint, plugin
from pykind_podman.provider import PodmanProvider, sanitize_image


def test_plugin_registers_podman_after_docker() -> None:
    pm = create_plugin_manager(autoload=False, builtins=False, extra=[plugin])
    spec = pm.node_providers()["podman"]
    assert spec.priority == 20
    assert isinstance(spec.factory(), PodmanProvider)


def test_default_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTAINER_HOST", "unix:///custom/podman.sock")
    assert endpoint.default_endpoint() == "unix:///custom/podman.sock"
    monkeypatch.delenv("CONTAINER_HOST")
    monkeypatch.setattr(endpoint.os, "geteuid", lambda: 0)
    assert endpoint.default_endpoint() == "unix:///run/podman/podman.sock"
    monkeypatch.setattr(endpoint.os, "geteuid", lambda: 1000)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1000")
    assert endpoint.default_endpoint() == "unix:///run/user/1000/podman/podman.sock"


def test_unreachable_service_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTAINER_HOST", "unix:///nonexistent/pykind/podman.sock")
    assert plugin.is_available() is False
    p = PodmanProvider()
    with pytest.raises(ProviderUnavailableError) as info:
        p.list_clusters()
    message = str(info.value)
    assert message.startswith("cannot reach Podman at unix:///nonexistent/pykind/podman.sock: ")
    assert "\n" not in message


def test_sanitize_image_like_upstream() -> None:
    assert sanitize_image("kindest/node:v1.36.1@sha256:abc") == "kindest/node@sha256:abc"
    assert sanitize_image("localhost:5000/node:v1@sha256:abc") == "localhost:5000/node@sha256:abc"
    assert sanitize_image("kindest/node:v1") == "kindest/node:v1"


# ---------------------------------------------------------------- a recording client
class Response:
    def __init__(self, status: int = 201, doc: Any = None) -> None:
        self.status_code = status
        self.doc = doc if doc is not None else {"Id": "cid"}
        self.content = json.dumps(self.doc).encode()

    def raise_for_status(self) -> None:
        if self.status_code == 404:
            raise podman.errors.NotFound("gone", explanation="no such container")

    def json(self) -> Any:
        return self.doc


class API:
    def __init__(self) -> None:
        self.posts: list[tuple[str, Any]] = []
        self.deletes: list[tuple[str, Any]] = []
        self.delete_status = 200

    def post(self, path: str, data: str | None = None, **kwargs: Any) -> Response:
        self.posts.append((path, json.loads(data) if data else None))
        return Response()

    def delete(self, path: str, params: Any = None) -> Response:
        self.deletes.append((path, params))
        return Response(self.delete_status, [])


class Volume:
    def __init__(self, name: str, labels: dict[str, str], store: dict[str, Volume]) -> None:
        self.name = name
        self.labels = labels
        self.store = store

    def remove(self, force: bool = False) -> None:
        assert force
        self.store.pop(self.name)


class Volumes:
    def __init__(self) -> None:
        self.store: dict[str, Volume] = {}

    def create(self, labels: dict[str, str]) -> Volume:
        name = f"vol{len(self.store)}"
        self.store[name] = Volume(name, labels, self.store)
        return self.store[name]

    def list(self, filters: dict[str, str]) -> list[Volume]:
        return [v for v in self.store.values() if filters["label"] in v.labels]


class Networks:
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.created: list[dict[str, Any]] = []
        self.errors: list[str] = []

    def exists(self, name: str) -> bool:
        return name in self.names

    def create(self, name: str, **kwargs: Any) -> None:
        self.created.append({"name": name, **kwargs})
        if self.errors:
            raise podman.errors.APIError("create", explanation=self.errors.pop(0))
        self.names.add(name)


class FakeClient:
    def __init__(self) -> None:
        self.api = API()
        self.volumes = Volumes()
        self.networks = Networks()
        self.info_doc: dict[str, Any] = {
            "host": {
                "security": {"rootless": False, "seccompEnabled": True},
                "cgroupVersion": "v1",
                "cgroupControllers": ["cpu", "memory", "pids"],
            },
            "store": {"graphDriverName": "overlay", "graphStatus": {}},
            "version": {"Version": "4.3.1"},
        }

    def info(self) -> dict[str, Any]:
        return self.info_doc


def provider() -> PodmanProvider:
    p = PodmanProvider(endpoint="unix:///nonexistent.sock")
    p._client = FakeClient()
    return p


def request(**overrides: Any) -> ContainerRequest:
    base: dict[str, Any] = {
        "name": "c1-worker",
        "role": "worker",
        "image": "kindest/node:v1@sha256:abc",
        "network": "kind",
        "labels": {"io.x-k8s.kind.cluster": "c1", "io.x-k8s.kind.role": "worker"},
        "env": {"container": "podman"},
        "ports": (PortBinding("127.0.0.1", 8080, 80), PortBinding("0.0.0.0", 5353, 53, "udp")),
        "binds": (BindMount("/h", "/c", ("ro", "Z", "rshared")),),
        "sysctls": {"net.ipv6.conf.all.disable_ipv6": "0"},
    }
    base.update(overrides)
    return ContainerRequest(**base)


def test_node_spec_follows_upstream_podman_flags() -> None:
    p = provider()
    p._create_container(request())
    (path, spec), (start, _) = p.client.api.posts
    assert path == "/containers/create" and start == "/containers/cid/start"
    assert spec["name"] == spec["hostname"] == "c1-worker"
    assert spec["image"] == "kindest/node@sha256:abc"
    assert spec["privileged"] is True and spec["terminal"] is True
    assert spec["env"] == {"container": "podman"}
    assert spec["Networks"] == {"kind": {}} and spec["netns"] == {"nsmode": "bridge"}
    assert spec["cgroupns"] == {"nsmode": "private"}
    assert spec["sysctl"] == {"net.ipv6.conf.all.disable_ipv6": "0"}
    assert "restart_policy" not in spec  # upstream's podman provider sets none
    assert spec["portmappings"] == [
        {"host_ip": "127.0.0.1", "host_port": 8080, "container_port": 80, "protocol": "tcp"},
        {"host_ip": "0.0.0.0", "host_port": 5353, "container_port": 53, "protocol": "udp"},
    ]
    mounts = {m["destination"]: m for m in spec["mounts"]}
    assert mounts["/c"] == {
        "destination": "/c",
        "source": "/h",
        "type": "bind",
        "options": ["ro", "Z", "rshared"],
    }
    assert mounts["/tmp"]["type"] == mounts["/run"]["type"] == "tmpfs"
    (volume,) = spec["volumes"]
    assert volume["Dest"] == "/var" and volume["Options"] == ["suid", "exec", "dev"]
    assert p.client.volumes.store[volume["Name"]].labels == {"c1-worker": "true"}


def test_failed_create_removes_the_var_volume() -> None:
    p = provider()

    def refuse(path: str, data: str | None = None, **kwargs: Any) -> Response:
        raise podman.errors.APIError("x", explanation="image not known")

    p.client.api.post = refuse
    p.client.volumes.get = lambda name: p.client.volumes.store[name]
    with pytest.raises(podman.errors.APIError):
        p._create_container(request())
    assert p.client.volumes.store == {}


def test_load_balancer_spec() -> None:
    p = provider()
    p._create_container(request(name="c1-external-load-balancer", node=False, binds=()))
    spec = p.client.api.posts[0][1]
    assert "privileged" not in spec and "volumes" not in spec
    assert spec["mounts"] == []
    assert p.client.volumes.store == {}


def test_delete_removes_the_var_volumes_and_kills_at_once() -> None:
    p = provider()
    p._create_container(request())
    p._create_container(request(name="c1-control-plane"))
    p.client.volumes.create(labels={"someone-else": "true"})
    from pykind.runtime.engine import EngineNode

    p.delete_nodes([EngineNode(p, "c1-worker", "worker", "c1")])
    assert p.client.api.deletes == [
        ("/containers/c1-worker", {"force": True, "v": True, "timeout": 0})
    ]
    assert sorted(v.labels.popitem()[0] for v in list(p.client.volumes.store.values())) == [
        "c1-control-plane",
        "someone-else",
    ]
    p.client.api.delete_status = 404
    p.delete_nodes([EngineNode(p, "c1-worker", "worker", "c1")])  # already gone: fine


def test_network_rules() -> None:
    p = provider()
    nets = p.client.networks
    nets.errors = ["subnet fc00::/64 is already used on the host or by another config"]
    p._ensure_network("kind")
    assert [n["subnets"] for n in nets.created] == [
        [{"subnet": ula_subnet("kind", 0)}],
        [{"subnet": ula_subnet("kind", 1)}],
    ]
    assert all(n["enable_ipv6"] and n["dns_enabled"] for n in nets.created)
    p._ensure_network("kind")
    assert len(nets.created) == 2  # exists: reused

    p = provider()
    p.client.networks.errors = ["unknown flag: --ipv6"]
    p._ensure_network("kind")
    assert "subnets" not in p.client.networks.created[-1]

    p = provider()
    p.client.networks.errors = ["network name kind already used: network already exists"]

    def exists_after_race(name: str) -> bool:
        return bool(p.client.networks.created)

    p.client.networks.exists = exists_after_race
    p._ensure_network("kind")
    assert len(p.client.networks.created) == 1


def test_info() -> None:
    p = provider()
    info = p.info()
    assert (info.name, info.version, info.rootless, info.cgroup2) == (
        "podman",
        "4.3.1",
        False,
        False,
    )
    assert info.supports_memory_limit and info.supports_pids_limit
    assert info.security_options == ("seccomp",)
    assert not p._needs_fuse() and not p._needs_dev_mapper()


def test_error_translation() -> None:
    p = provider()
    down = podman.errors.APIError("http://x", explanation="GET operation failed")
    down.__cause__ = ConnectionRefusedError()
    assert isinstance(p._translate(down, "listing"), ProviderUnavailableError)
    missing = podman.errors.APIError("x", explanation="pykind-test/x:1: image not known")
    assert isinstance(p._translate(missing, "creating node n"), ImageNotFoundError)
    err = p._translate(podman.errors.APIError("x", explanation="name in use"), "creating node n")
    assert type(err) is ProviderError
    assert str(err) == "Podman error while creating node n: name in use"
    assert p._is_not_found(podman.errors.NotFound("x"))
