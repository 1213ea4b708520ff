"""The docker provider without a daemon: plugin registration, the SDK calls it makes for
upstream's run flags and network rules, and error translation."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import docker
import docker.errors
import pytest
import requests

from pykind.errors import ImageNotFoundError, ProviderError, ProviderUnavailableError
from pykind.plugin.manager import create_plugin_manager
from pykind.runtime.engine import BindMount, ContainerRequest, PortBinding
from pykind.runtime.engine_net import ula_subnet
from pykind_docker import plugin
from pykind_docker.provider import DockerProvider


def test_plugin_registers_docker_first() -> None:
    pm = create_plugin_manager(autoload=False, builtins=False, extra=[plugin])
    spec = pm.node_providers()["docker"]
    assert spec.priority == 10
    assert spec.description
    assert isinstance(spec.factory(), DockerProvider)


def test_factory_providers_ask_the_network_name_hook() -> None:
    import pykind

    class Networks:
        @pykind.plugin.hookimpl
        def pykind_network_name(self, provider: str) -> str | None:
            return "ci-kind" if provider == "docker" else None

    pm = create_plugin_manager(autoload=False, builtins=False, extra=[plugin, Networks()])
    built = pm.get_node_provider("docker")
    assert isinstance(built, DockerProvider)
    assert built.network_name() == "ci-kind"


def test_availability_probe_is_fast_and_honours_docker_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/pykind/docker.sock")
    started = time.monotonic()
    assert plugin.is_available() is False
    assert time.monotonic() - started < 2
    assert DockerProvider().endpoint == "unix:///nonexistent/pykind/docker.sock"
    monkeypatch.delenv("DOCKER_HOST")
    assert DockerProvider().endpoint == "unix:///var/run/docker.sock"


def test_plugin_modules_do_not_import_the_sdks() -> None:
    code = (
        "import sys, pykind_docker.plugin, pykind_podman.plugin\n"
        "bad = [m for m in ('docker', 'podman', 'requests') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unreachable_daemon_is_a_one_line_error() -> None:
    p = DockerProvider(endpoint="unix:///nonexistent/pykind/docker.sock")
    with pytest.raises(ProviderUnavailableError) as info:
        p.list_clusters()
    assert str(info.value) == (
        "cannot reach Docker at unix:///nonexistent/pykind/docker.sock: is the daemon running?"
    )


# ---------------------------------------------------------------- a recording low-level API
class RecordingAPI(docker.APIClient):
    """The real SDK client (no daemon needed with a fixed version) recording mutations."""

    def __init__(self) -> None:
        super().__init__(base_url="unix:///nonexistent.sock", version="1.41")
        self.calls: list[tuple[str, Any]] = []
        self.nets: dict[str, dict[str, Any]] = {}
        self.create_errors: list[str] = []

    def create_container(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(("create_container", kwargs))
        return {"Id": "cid"}

    def start(self, container: str) -> None:
        self.calls.append(("start", container))

    # networks
    def networks(self, names: list[str]) -> list[dict[str, Any]]:
        return [n for n in self.nets.values() if names[0] in n["Name"]]

    def inspect_network(self, net_id: str) -> dict[str, Any]:
        if net_id == "bridge":
            return {"Options": {"com.docker.network.driver.mtu": "1450"}}
        if net_id not in self.nets:
            raise docker.errors.NotFound("no such network")
        return self.nets[net_id]

    def remove_network(self, net_id: str) -> None:
        self.calls.append(("remove_network", net_id))
        self.nets.pop(net_id)

    def create_network(self, name: str, **kwargs: Any) -> dict[str, str]:
        self.calls.append(("create_network", {"name": name, **kwargs}))
        if self.create_errors:
            raise docker.errors.APIError("create failed", explanation=self.create_errors.pop(0))
        net_id = f"id{len(self.nets)}"
        self.nets[net_id] = {"Id": net_id, "Name": name, "Containers": {}}
        return {"Id": net_id}


class FakeClient:
    def __init__(self) -> None:
        self.api = RecordingAPI()
        self.info_doc: dict[str, Any] = {
            "SecurityOptions": ["name=seccomp,profile=default"],
            "Driver": "overlay2",
            "DriverStatus": [["Backing Filesystem", "extfs"]],
        }

    def info(self) -> dict[str, Any]:
        return self.info_doc


def provider() -> DockerProvider:
    p = DockerProvider(endpoint="unix:///nonexistent.sock")
    p._client = FakeClient()
    return p


def request(**overrides: Any) -> ContainerRequest:
    base: dict[str, Any] = {
        "name": "c1-control-plane",
        "role": "control-plane",
        "image": "pykind-test/node:1",
        "network": "kind",
        "labels": {"io.x-k8s.kind.cluster": "c1", "io.x-k8s.kind.role": "control-plane"},
        "env": {"container": "docker", "KUBECONFIG": "/etc/kubernetes/admin.conf"},
        "ports": (
            PortBinding("127.0.0.1", 40000, 6443),
            PortBinding("0.0.0.0", 8080, 80),
            PortBinding("::", 8080, 80),
            PortBinding("0.0.0.0", 5353, 53, "udp"),
        ),
        "binds": (BindMount("/lib/modules", "/lib/modules", ("ro",)), BindMount("/h", "/c")),
        "sysctls": {"net.ipv6.conf.all.forwarding": "1"},
    }
    base.update(overrides)
    return ContainerRequest(**base)


def test_node_container_gets_upstream_run_flags() -> None:
    p = provider()
    p._create_container(request())
    (create, kwargs), start = p.client.api.calls
    assert create == "create_container" and start == ("start", "cid")
    host = kwargs.pop("host_config")
    assert kwargs["name"] == kwargs["hostname"] == "c1-control-plane"
    assert kwargs["tty"] is True and kwargs["detach"] is True
    assert kwargs["volumes"] == ["/var"]  # docker run --volume /var: anonymous volume
    assert kwargs["labels"]["io.x-k8s.kind.role"] == "control-plane"
    assert "container=docker" in kwargs["environment"]
    assert kwargs["networking_config"] == {"EndpointsConfig": {"kind": {}}}
    assert host["Privileged"] is True
    assert host["SecurityOpt"] == ["seccomp=unconfined", "apparmor=unconfined"]
    assert host["Tmpfs"] == {"/tmp": "", "/run": ""}
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 1}
    assert host["Init"] is False
    assert host["CgroupnsMode"] == "private"
    assert host["NetworkMode"] == "kind"
    assert host["Binds"] == ["/lib/modules:/lib/modules:ro", "/h:/c"]
    assert host["Sysctls"] == {"net.ipv6.conf.all.forwarding": "1"}
    assert host["PortBindings"] == {
        "6443/tcp": [{"HostIp": "127.0.0.1", "HostPort": "40000"}],
        "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}],
        "53/udp": [{"HostIp": "0.0.0.0", "HostPort": "5353"}],
    }
    assert "UsernsMode" not in host and "Devices" not in host


def test_load_balancer_is_not_privileged_and_has_no_var_volume() -> None:
    p = provider()
    p._create_container(request(name="c1-external-load-balancer", node=False, binds=()))
    kwargs = p.client.api.calls[0][1]
    host = kwargs["host_config"]
    assert kwargs["volumes"] is None
    assert "Privileged" not in host or host["Privileged"] is False
    assert "Tmpfs" not in host and "SecurityOpt" not in host
    assert host["RestartPolicy"]["Name"] == "on-failure"


def test_userns_remap_rootless_and_devmapper_hosts() -> None:
    p = provider()
    p.client.info_doc = {
        "SecurityOptions": ["name=userns", "name=rootless"],
        "Driver": "btrfs",
        "CgroupVersion": "2",
        "ServerVersion": "27.0.0",
    }
    assert p._needs_fuse() and p._needs_dev_mapper()
    info = p.info()
    assert info.rootless and info.cgroup2 and info.version == "27.0.0"
    p._create_container(request(devices=("/dev/fuse",)))
    host = p.client.api.calls[0][1]["host_config"]
    assert host["UsernsMode"] == "host"
    assert host["Devices"][0]["PathOnHost"] == "/dev/fuse"
    p.client.info_doc = {"Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "xfs"]]}
    p._engine_info_cache = None
    assert p._needs_dev_mapper()


def test_engine_proxy_settings() -> None:
    p = provider()
    p.client.info_doc.update(HTTPProxy="http://p:1", NoProxy="a.test")
    assert p._engine_proxy_env() == {
        "HTTP_PROXY": "http://p:1",
        "http_proxy": "http://p:1",
        "NO_PROXY": "a.test",
        "no_proxy": "a.test",
    }


# ---------------------------------------------------------------- network rules
def test_network_created_dual_stack_with_masquerade_and_mtu() -> None:
    p = provider()
    p._ensure_network("kind")
    (name, kwargs) = p.client.api.calls[0]
    assert name == "create_network"
    assert kwargs["name"] == "kind" and kwargs["driver"] == "bridge"
    assert kwargs["options"] == {
        "com.docker.network.bridge.enable_ip_masquerade": "true",
        "com.docker.network.driver.mtu": "1450",
    }
    assert kwargs["enable_ipv6"] is True
    assert [c["Subnet"] for c in kwargs["ipam"]["Config"]] == [ula_subnet("kind")]
    p._ensure_network("kind")  # exists now: reused
    assert [c[0] for c in p.client.api.calls] == ["create_network"]


def test_network_retries_overlapping_subnets_and_falls_back_without_ipv6() -> None:
    p = provider()
    p.client.api.create_errors = ["Pool overlaps with other one on this address space"] * 2
    p._ensure_network("kind")
    subnets = [c[1]["ipam"]["Config"][0]["Subnet"] for c in p.client.api.calls]
    assert subnets == [ula_subnet("kind", 0), ula_subnet("kind", 1), ula_subnet("kind", 2)]

    p = provider()
    p.client.api.create_errors = ["Cannot read IPv6 setup for bridge br-x: no such file"]
    p._ensure_network("kind")
    last = p.client.api.calls[-1][1]
    assert last["enable_ipv6"] is False and last["ipam"] is None

    p = provider()
    p.client.api.create_errors = ["something else"]
    with pytest.raises(docker.errors.APIError):
        p._ensure_network("kind")


def test_network_creation_tolerates_a_racing_creator() -> None:
    p = provider()
    p.client.api.create_errors = ["network with name kind already exists"]
    p._ensure_network("kind")  # no error


def test_duplicate_networks_are_removed_keeping_the_busiest() -> None:
    p = provider()
    nets = p.client.api.nets
    nets["b"] = {"Id": "b", "Name": "kind", "Containers": {"x": {}}}
    nets["a"] = {"Id": "a", "Name": "kind", "Containers": {}}
    nets["c"] = {"Id": "c", "Name": "kind", "Containers": {}}
    nets["z"] = {"Id": "z", "Name": "kind-other", "Containers": {}}
    p._ensure_network("kind")
    assert sorted(nets) == ["b", "z"]
    assert "create_network" not in [c[0] for c in p.client.api.calls]


# ---------------------------------------------------------------- errors
def test_error_translation() -> None:
    p = provider()
    missing = docker.errors.ImageNotFound("x", explanation="No such image: foo:1")
    err = p._translate(missing, "creating node n")
    assert isinstance(err, ImageNotFoundError) and "No such image: foo:1" in str(err)
    err = p._translate(docker.errors.APIError("x", explanation="Conflict. name in use"), "w")
    assert type(err) is ProviderError and "Conflict. name in use" in str(err)
    err = p._translate(requests.exceptions.ConnectionError("refused"), "w")
    assert isinstance(err, ProviderUnavailableError)
    assert p._translate(KeyError("bug"), "w") is None
    assert p._is_not_found(docker.errors.NotFound("gone"))
    in_progress = "removal of container abc is already in progress"
    assert p._is_not_found(docker.errors.APIError("x", explanation=in_progress))
    assert not p._is_not_found(docker.errors.APIError("x", explanation="other conflict"))


def test_pull_failure_is_an_image_error_without_pointless_retries() -> None:
    p = provider()
    attempts: list[str] = []

    def pull(image: str, **kwargs: Any) -> Any:
        attempts.append(image)
        yield {"status": "Pulling from library/nope"}
        yield {"error": "pull access denied for nope, repository does not exist"}

    p.client.api.pull = pull
    progress: list[str] = []
    with pytest.raises(ImageNotFoundError, match=r"'nope:1'.*pull access denied"):
        p.pull_image("nope:1", progress=progress.append)
    assert attempts == ["nope:1"]
    assert progress == ["Pulling from library/nope"]
