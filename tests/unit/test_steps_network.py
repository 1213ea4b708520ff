"""Steps ensure-images, provision, loadbalancer, cni and wait-ready, and kindnet's rendering."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from pykind.cluster.context import StepContext
from pykind.cluster.steps import cni, ensure_images, loadbalancer, provision, wait_ready
from pykind.config.models import (
    DEFAULT_NODE_IMAGE,
    ClusterConfig,
    IPFamily,
    Networking,
    Node,
    NodeRole,
)
from pykind.errors import ConfigError, ImageNotFoundError
from pykind.loadbalancer import envoy, haproxy
from pykind.networking import kindnet
from pykind.networking.kindnet import TemplateError
from pykind.plugin import hookimpl
from pykind.plugin.manager import PykindPluginManager
from pykind.plugin.types import CNISpec
from pykind.status import RecordingStatus
from pykind.testing.fakes import FakeNode, FakeProvider

pytest_plugins = ["pykind.testing.fixtures"]

ADMIN = "--kubeconfig=/etc/kubernetes/admin.conf"


@pytest.fixture(autouse=True)
def default_load_balancer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYKIND_LOADBALANCER", raising=False)
    monkeypatch.delenv("PYKIND_LOADBALANCER_IMAGE", raising=False)


def cluster(name: str, control_planes: int = 1, workers: int = 0, **kw: Any) -> ClusterConfig:
    nodes = [Node(role=NodeRole.CONTROL_PLANE) for _ in range(control_planes)]
    nodes += [Node(role=NodeRole.WORKER) for _ in range(workers)]
    return ClusterConfig(name=name, nodes=nodes, **kw).with_defaults()


def new_ctx(
    pm: PykindPluginManager, provider: FakeProvider, config: ClusterConfig, **kw: Any
) -> StepContext:
    return StepContext(config=config, provider=provider, pm=pm, status=RecordingStatus(), **kw)


def provisioned(
    pm: PykindPluginManager, provider: FakeProvider, config: ClusterConfig, **kw: Any
) -> StepContext:
    ctx = new_ctx(pm, provider, config, **kw)
    provision.run(ctx)
    return ctx


# ---------------------------------------------------------------- ensure-images
def test_present_images_are_not_pulled(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    config = cluster("img", workers=1)
    config.nodes[1].image = "example/node:v1"
    ctx = new_ctx(plugin_manager, fake_provider, config)
    ensure_images.run(ctx)
    assert fake_provider.pulled == []
    assert [m for k, m in ctx.status.events if k == "start"] == [
        "Ensuring node image (kindest/node:v1.36.1) 🖼",
        "Ensuring node image (example/node:v1) 🖼",
    ]


def test_absent_images_are_pulled_once(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    image = "example/node:v2"
    fake_provider.present_images = set()
    fake_provider.pullable = {image}
    config = cluster("pull", control_planes=1, workers=3)
    for node in config.nodes:
        node.image = image
    ensure_images.run(new_ctx(plugin_manager, fake_provider, config))
    assert fake_provider.pulled == [image]


def test_unpullable_image_names_the_image_and_the_engine(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    fake_provider.present_images = set()
    config = cluster("nopull")
    config.nodes[0].image = "example/missing:v1@sha256:" + "a" * 64
    ctx = new_ctx(plugin_manager, fake_provider, config)
    with pytest.raises(ImageNotFoundError) as info:
        ensure_images.run(ctx)
    assert "'example/missing:v1' is not present in fake and could not be pulled" in str(info.value)
    assert ("end", "failed") in ctx.status.events


def test_a_provider_message_naming_the_image_is_not_repeated(
    plugin_manager: PykindPluginManager,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_provider.present_images = set()

    def pull(image: str) -> None:
        raise ImageNotFoundError(f"image {image!r} is not present in Fake: no registry")

    monkeypatch.setattr(fake_provider, "pull_image", pull)
    config = cluster("once")
    config.nodes[0].image = "example/node:v3"
    with pytest.raises(ImageNotFoundError) as info:
        ensure_images.run(new_ctx(plugin_manager, fake_provider, config))
    assert str(info.value) == "image 'example/node:v3' is not present in Fake: no registry"


def test_ha_clusters_also_need_the_load_balancer_image(
    plugin_manager: PykindPluginManager,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_provider.present_images = {DEFAULT_NODE_IMAGE}
    with pytest.raises(ImageNotFoundError) as info:
        ensure_images.run(new_ctx(plugin_manager, fake_provider, cluster("ha", control_planes=2)))
    assert envoy.IMAGE in str(info.value)
    assert "PYKIND_LOADBALANCER" in str(info.value)
    monkeypatch.setenv("PYKIND_LOADBALANCER", "haproxy")
    monkeypatch.setenv("PYKIND_LOADBALANCER_IMAGE", "local/haproxy:test")
    fake_provider.present_images.add("local/haproxy:test")
    ensure_images.run(new_ctx(plugin_manager, fake_provider, cluster("ha2", control_planes=2)))


# ---------------------------------------------------------------- provision
def test_provision_plans_upstream_names_and_tells_the_provider_the_lb_flavour(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    ctx = provisioned(plugin_manager, fake_provider, cluster("pv", control_planes=2, workers=1))
    plan = fake_provider.plans["pv"]
    assert ctx.plan is plan
    assert [(s.name, s.role) for s in plan.nodes] == [
        ("pv-external-load-balancer", "external-load-balancer"),
        ("pv-control-plane", "control-plane"),
        ("pv-control-plane2", "control-plane"),
        ("pv-worker", "worker"),
    ]
    assert plan.nodes[0].image == envoy.IMAGE
    assert plan.extra["loadbalancer"] == "envoy"
    assert [n.name for n in ctx.nodes()] == [
        s.name for s in sorted(plan.nodes, key=lambda s: s.name)
    ]
    assert ctx.status.events[0] == ("start", "Preparing nodes 📦 📦 📦 ")


# ---------------------------------------------------------------- loadbalancer
def test_envoy_load_balancer_gets_every_control_plane_and_is_swapped_in_by_rename(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    ctx = provisioned(plugin_manager, fake_provider, cluster("lb", control_planes=3, workers=1))
    loadbalancer.run(ctx)
    lb = fake_provider.node("lb-external-load-balancer")
    cds = yaml.safe_load(lb.text(envoy.CDS_PATH))
    lds = yaml.safe_load(lb.text(envoy.LDS_PATH))
    endpoints = cds["resources"][0]["load_assignment"]["endpoints"][0]["lb_endpoints"]
    addresses = {e["endpoint"]["address"]["socket_address"]["address"] for e in endpoints}
    planes = [fake_provider.node(f"lb-control-plane{s}") for s in ("", "2", "3")]
    assert addresses == {n.ipv4 for n in planes}
    assert lds["resources"][0]["address"]["socket_address"]["port_value"] == 6443
    assert lb.commands("mv") == [
        ("mv", envoy.CDS_PATH + ".tmp", envoy.CDS_PATH),
        ("mv", envoy.LDS_PATH + ".tmp", envoy.LDS_PATH),
    ]
    assert envoy.CDS_PATH + ".tmp" not in lb.files
    assert ("start", "Configuring the external load balancer ⚖️") in ctx.status.events


def test_haproxy_load_balancer_is_reloaded_with_hup(
    plugin_manager: PykindPluginManager,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYKIND_LOADBALANCER", "haproxy")
    ctx = provisioned(plugin_manager, fake_provider, cluster("hp", control_planes=2))
    assert fake_provider.plans["hp"].nodes[0].image == haproxy.IMAGE
    loadbalancer.run(ctx)
    lb = fake_provider.node("hp-external-load-balancer")
    text = lb.text(haproxy.CONFIG_PATH)
    for name in ("hp-control-plane", "hp-control-plane2"):
        node = fake_provider.node(name)
        assert f"server {name} {node.ipv4}:6443 check check-ssl verify none" in text
    argvs = [c.argv for c in lb.calls]
    assert argvs[-1] == ("kill", "-s", "HUP", "1")
    assert argvs.index(("cp", "/dev/stdin", haproxy.CONFIG_PATH)) < len(argvs) - 1


def test_haproxy_maxconn_follows_the_load_balancer_file_limit(
    plugin_manager: PykindPluginManager,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYKIND_LOADBALANCER", "haproxy")
    ctx = provisioned(plugin_manager, fake_provider, cluster("fd", control_planes=2))
    lb = fake_provider.node("fd-external-load-balancer")
    assert "maxconn 100000" in _configured(ctx, lb)
    lb.files["/proc/1/limits"] = b"Max open files            1024                 20000   files\n"
    assert "maxconn 9950" in _configured(ctx, lb)


def _configured(ctx: StepContext, lb: FakeNode) -> str:
    loadbalancer.run(ctx)
    return lb.text(haproxy.CONFIG_PATH)


def test_ipv6_clusters_balance_over_ipv6_addresses(
    plugin_manager: PykindPluginManager,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYKIND_LOADBALANCER", "haproxy")
    config = cluster("six", control_planes=2, networking=Networking(ipFamily=IPFamily.IPV6))
    ctx = provisioned(plugin_manager, fake_provider, config)
    loadbalancer.run(ctx)
    text = fake_provider.node("six-external-load-balancer").text(haproxy.CONFIG_PATH)
    node = fake_provider.node("six-control-plane")
    assert f"[{node.ipv6}]:6443" in text
    assert "bind :::6443;" in text
    assert "resolve-prefer ipv6" in text


def test_single_control_plane_skips_the_load_balancer_step() -> None:
    assert loadbalancer.STEP.skip_if(cluster("one", workers=2))
    assert not loadbalancer.STEP.skip_if(cluster("two", control_planes=2))


def test_unknown_load_balancer_flavour_is_a_config_error(
    plugin_manager: PykindPluginManager,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYKIND_LOADBALANCER", "nginx")
    with pytest.raises(ConfigError) as info:
        provisioned(plugin_manager, fake_provider, cluster("bad", control_planes=2))
    assert info.value.field == "PYKIND_LOADBALANCER"
    assert "envoy, haproxy" in str(info.value)


# ---------------------------------------------------------------- cni
def test_kindnet_manifest_is_templated_patched_and_created(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    config = cluster("net", networking=Networking(podSubnet="10.200.0.0/16"))
    ctx = provisioned(plugin_manager, fake_provider, config)
    cni.run(ctx)
    node = fake_provider.node("net-control-plane")
    (call,) = node.calls_to("kubectl")
    assert call.argv == ("kubectl", "create", ADMIN, "-f", "-")
    (daemonset,) = [d for d in yaml.safe_load_all(call.stdin_text) if d]
    env = {
        e["name"]: e["value"] for e in daemonset["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env == {
        "POD_SUBNET": "10.200.0.0/16",
        "CONTROL_PLANE_ENDPOINT": "net-control-plane:6443",
    }
    assert ctx.status.events[-2:] == [("start", "Installing CNI 🔌"), ("end", "ok")]


def test_disable_default_cni_skips_kindnet(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    config = cluster("nocni", networking=Networking(disableDefaultCNI=True))
    ctx = provisioned(plugin_manager, fake_provider, config)
    cni.run(ctx)
    assert not fake_provider.node("nocni-control-plane").commands("kubectl")


def test_another_cni_can_be_chosen_by_name(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    installed: list[str] = []

    class Calico:
        @hookimpl
        def pykind_cni_plugins(self) -> list[CNISpec]:
            return [CNISpec(name="calico", install=lambda ctx: installed.append(ctx.config.name))]

    register_plugin(Calico())
    config = cluster("cal", networking=Networking(disableDefaultCNI=True))
    ctx = provisioned(plugin_manager, fake_provider, config, cni="calico")
    cni.run(ctx)
    assert installed == ["cal"]
    none_ctx = provisioned(plugin_manager, fake_provider, cluster("none"), cni="none")
    cni.run(none_ctx)
    assert not fake_provider.node("none-control-plane").commands("kubectl")


def test_manifest_without_markers_is_applied_verbatim() -> None:
    raw = "apiVersion: v1\nkind: ConfigMap\ndata:\n  x: '{{ .PodSubnet }}'\n"
    assert kindnet.render_manifest(raw, pod_subnet="10.1.0.0/16", control_plane_endpoint="x") == raw


def test_template_follows_go_semantics() -> None:
    data = {"PodSubnet": "10.244.0.0/16"}
    assert kindnet.render_template("a: {{ .PodSubnet }}\n", data) == "a: 10.244.0.0/16\n"
    assert kindnet.render_template("a: {{.PodSubnet}}", data) == "a: 10.244.0.0/16"
    assert kindnet.render_template("a:   {{- .PodSubnet -}}  \n b", data) == "a:10.244.0.0/16b"
    assert kindnet.render_template("x{{/* note */}}y", data) == "xy"
    with pytest.raises(TemplateError, match=r"\.Other"):
        kindnet.render_template("{{ .Other }}", data)
    with pytest.raises(TemplateError, match="unsupported"):
        kindnet.render_template("{{ range .X }}", data)


def test_cni_conflist_matches_kindnetd() -> None:
    config = json.loads(kindnet.cni_conflist(["10.244.1.0/24"]))
    assert config["name"] == "kindnet"
    assert config["cniVersion"] == "0.3.1"
    ptp, portmap = config["plugins"]
    assert ptp["type"] == "ptp" and ptp["ipMasq"] is False
    assert ptp["ipam"] == {
        "type": "host-local",
        "dataDir": "/run/cni-ipam-state",
        "routes": [{"dst": "0.0.0.0/0"}],
        "ranges": [[{"subnet": "10.244.1.0/24"}]],
    }
    assert "mtu" not in ptp
    assert portmap == {"type": "portmap", "capabilities": {"portMappings": True}}
    dual = kindnet.cni_config(["10.244.1.0/24", "fd00:10:244:1::/64"], mtu=1400)
    assert dual["plugins"][0]["ipam"]["routes"] == [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]
    assert dual["plugins"][0]["mtu"] == 1400
    v6 = kindnet.cni_config(["fd00:10:244:1::/64"])
    assert v6["plugins"][0]["ipam"]["routes"] == [{"dst": "::/0"}]


def test_node_pod_cidrs_are_carved_like_the_range_allocator() -> None:
    assert kindnet.node_pod_cidrs("10.244.0.0/16", 0) == ["10.244.0.0/24"]
    assert kindnet.node_pod_cidrs("10.244.0.0/16", 3) == ["10.244.3.0/24"]
    assert kindnet.node_pod_cidrs("10.244.0.0/16,fd00:10:244::/56", 1) == [
        "10.244.1.0/24",
        "fd00:10:244:1::/64",
    ]
    with pytest.raises(ValueError):
        kindnet.node_pod_cidrs("10.244.0.0/24", 1)


# ---------------------------------------------------------------- wait-ready
@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    now = [1000.0]
    monkeypatch.setattr(wait_ready, "monotonic", lambda: now[0])

    def sleep(seconds: float) -> None:
        now[0] += max(seconds, 0.5)

    monkeypatch.setattr(wait_ready, "sleep", sleep)
    yield now


def ready_after(polls: int) -> Any:
    count = [0]

    def answer(node: FakeNode, call: Any) -> tuple[int, bytes, bytes]:
        count[0] += 1
        return (0, b"'True True'" if count[0] > polls else b"'True False'", b"")

    return answer


def test_wait_is_a_no_op_without_wait(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    ctx = provisioned(plugin_manager, fake_provider, cluster("nowait"))
    wait_ready.run(ctx)
    assert not fake_provider.node("nowait-control-plane").commands("kubectl")


def test_wait_polls_until_all_control_planes_are_ready(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, fake_clock: list[float]
) -> None:
    ctx = provisioned(plugin_manager, fake_provider, cluster("wait", control_planes=2), wait=60)
    node = fake_provider.node("wait-control-plane")
    node.on(["kubectl", "--request-timeout=1s"], ready_after(3))
    wait_ready.run(ctx)
    polls = node.commands("kubectl")
    assert len(polls) == 4
    assert polls[0] == (
        "kubectl",
        "--request-timeout=1s",
        ADMIN,
        "get",
        "nodes",
        "--selector=node-role.kubernetes.io/control-plane",
        "-o=jsonpath='{.items..status.conditions[-1:].status}'",
    )
    events = ctx.status.events
    assert ("start", "Waiting ≤ 1m0s for control-plane = Ready ⏳") in events
    assert ("end", "ok") in events
    assert any(k == "info" and "Ready after" in m for k, m in events)
    assert ctx.warnings == []


def test_wait_timeout_is_a_warning_not_an_error(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, fake_clock: list[float]
) -> None:
    ctx = provisioned(plugin_manager, fake_provider, cluster("slow"), wait=5)
    node = fake_provider.node("slow-control-plane")
    node.on(["kubectl", "--request-timeout=1s"], stdout=b"'False'")
    wait_ready.run(ctx)
    assert ctx.status.events[-2] == ("end", "failed")
    assert len(ctx.warnings) == 1 and "timed out" in ctx.warnings[0]
    assert len(node.commands("kubectl")) >= 2


def test_wait_treats_errors_and_empty_output_as_not_ready(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, fake_clock: list[float]
) -> None:
    ctx = provisioned(plugin_manager, fake_provider, cluster("err"), wait=3)
    node = fake_provider.node("err-control-plane")
    node.on(["kubectl", "--request-timeout=1s"], returncode=1, stderr=b"connection refused")
    wait_ready.run(ctx)
    node.on(["kubectl", "--request-timeout=1s"], stdout=b"")
    wait_ready.run(ctx)
    assert len(ctx.warnings) == 2


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (5, "5s"), (59.6, "1m0s"), (60, "1m0s"), (125, "2m5s"), (3600, "1h0m0s")],
)
def test_go_duration(seconds: float, text: str) -> None:
    assert wait_ready.go_duration(seconds) == text


def test_old_kubernetes_uses_the_master_selector() -> None:
    assert wait_ready.selector_label("v1.23.4") == "node-role.kubernetes.io/master"
    assert wait_ready.selector_label("v1.36.1") == "node-role.kubernetes.io/control-plane"


# ---------------------------------------------------------------- running a CNI config list
def test_cni_network_list_runs_plugins_in_order_with_prev_result() -> None:
    from pykind.networking.cni import CNIError, add_network_list, del_network_list

    node = FakeNode("n", "worker", "c")
    seen: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def plugin(name: str, result: dict[str, Any]) -> Any:
        def answer(n: FakeNode, call: Any) -> bytes:
            seen.append((name, json.loads(call.stdin), dict(call.env)))
            return json.dumps(result).encode()

        return answer

    ptp_result = {"cniVersion": "0.3.1", "ips": [{"address": "10.244.1.2/24"}]}
    node.on(["/opt/cni/bin/ptp"], plugin("ptp", ptp_result))
    node.on(["/opt/cni/bin/portmap"], plugin("portmap", {**ptp_result, "portmap": True}))
    conflist = kindnet.cni_config(["10.244.1.0/24"])
    result = add_network_list(
        node,
        conflist,
        container_id="pod1",
        netns="/var/run/netns/pod1",
        runtime_config={"portMappings": [{"hostPort": 80, "containerPort": 8080}]},
    )
    assert result == {**ptp_result, "portmap": True}
    (ptp_name, ptp_conf, env), (pm_name, pm_conf, _) = seen
    assert (ptp_name, pm_name) == ("ptp", "portmap")
    assert env == {
        "CNI_COMMAND": "ADD",
        "CNI_CONTAINERID": "pod1",
        "CNI_NETNS": "/var/run/netns/pod1",
        "CNI_IFNAME": "eth0",
        "CNI_PATH": "/opt/cni/bin",
    }
    assert ptp_conf["name"] == "kindnet" and ptp_conf["cniVersion"] == "0.3.1"
    assert "prevResult" not in ptp_conf and "runtimeConfig" not in ptp_conf
    assert pm_conf["prevResult"] == ptp_result
    assert pm_conf["runtimeConfig"] == {"portMappings": [{"hostPort": 80, "containerPort": 8080}]}

    seen.clear()
    del_network_list(node, conflist, container_id="pod1", netns="/x", prev_result=result)
    assert [(name, env["CNI_COMMAND"]) for name, _, env in seen] == [
        ("portmap", "DEL"),
        ("ptp", "DEL"),
    ]

    node.on(["/opt/cni/bin/ptp"], returncode=1, stdout=b'{"code": 11, "msg": "no addresses"}')
    with pytest.raises(CNIError, match="'ptp' failed ADD in node 'n': code 11: no addresses"):
        add_network_list(node, conflist, container_id="pod2", netns="/y")
