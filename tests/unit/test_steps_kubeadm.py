"""The kubeadm steps (config, init, join) and the other node steps, one at a time, with the
in-memory provider."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from pykind.cluster.context import StepContext
from pykind.cluster.steps import (
    check_patches,
    kubeadm_config,
    kubeadm_init,
    kubeadm_join,
    provision,
    storage,
)
from pykind.config.models import (
    ClusterConfig,
    IPFamily,
    Networking,
    Node,
    NodeRole,
    ProxyMode,
)
from pykind.errors import PatchError, ProviderError
from pykind.plugin import hookimpl
from pykind.plugin.manager import PykindPluginManager
from pykind.status import RecordingStatus
from pykind.testing.fakes import FakeNode, FakeProvider

pytest_plugins = ["pykind.testing.fixtures"]

ADMIN = "--kubeconfig=/etc/kubernetes/admin.conf"


def make_ctx(
    pm: PykindPluginManager,
    provider: FakeProvider,
    config: ClusterConfig,
    **kwargs: Any,
) -> StepContext:
    """A context whose containers exist (the provision step ran)."""
    ctx = StepContext(
        config=config.with_defaults(), provider=provider, pm=pm, status=RecordingStatus(), **kwargs
    )
    provision.run(ctx)
    return ctx


def cluster(name: str, control_planes: int = 1, workers: int = 0, **kw: Any) -> ClusterConfig:
    nodes = [Node(role=NodeRole.CONTROL_PLANE) for _ in range(control_planes)]
    nodes += [Node(role=NodeRole.WORKER) for _ in range(workers)]
    return ClusterConfig(name=name, nodes=nodes, **kw)


def docs(node: FakeNode, path: str = "/kind/kubeadm.conf") -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in yaml.safe_load_all(node.text(path)) if d}


# ---------------------------------------------------------------- kubeadm-config
def test_kubeadm_config_is_written_on_every_node_with_its_own_facts(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    ctx = make_ctx(plugin_manager, fake_provider, cluster("cfg", control_planes=2, workers=2))
    kubeadm_config.run(ctx)
    nodes = {n.name: n for n in fake_provider.fake_nodes("cfg")}
    assert not nodes["cfg-external-load-balancer"].calls_to("cp")
    tokens = set()
    for name in ("cfg-control-plane", "cfg-control-plane2", "cfg-worker", "cfg-worker2"):
        node = nodes[name]
        found = docs(node)
        join = found["JoinConfiguration"]
        assert join["discovery"]["bootstrapToken"]["apiServerEndpoint"] == (
            "cfg-external-load-balancer:6443"
        )
        tokens.add(join["discovery"]["bootstrapToken"]["token"])
        args = {a["name"]: a["value"] for a in join["nodeRegistration"]["kubeletExtraArgs"]}
        assert args["node-ip"] == node.ipv4
        assert args["provider-id"] == f"kind://fake/cfg/{name}"
        assert ("controlPlane" in join) is name.startswith("cfg-control-plane")
        assert node.commands("cat", "/kind/version")
    assert len(tokens) == 1
    assert ("start", "Writing configuration 📜") in ctx.status.events


def test_kubeadm_config_applies_node_and_plugin_patches_and_dedupes_warnings(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    class Plugin:
        @hookimpl
        def pykind_kubeadm_config_patches(self, config: ClusterConfig, node: Node) -> list[str]:
            return ["kind: KubeletConfiguration\nmaxPods: 250\n"]

    register_plugin(Plugin())
    config = cluster("pat", workers=1)
    config.nodes[1].kubeadm_config_patches = [
        "kind: KubeletConfiguration\nserializeImagePulls: false\n"
    ]
    # matches nothing: one warning per node, reported once
    config.kubeadm_config_patches = ["kind: NoSuchKind\nfoo: bar\n"]
    ctx = make_ctx(plugin_manager, fake_provider, config)
    kubeadm_config.run(ctx)
    cp = docs(fake_provider.node("pat-control-plane"))["KubeletConfiguration"]
    worker = docs(fake_provider.node("pat-worker"))["KubeletConfiguration"]
    assert cp["maxPods"] == 250 and worker["maxPods"] == 250
    assert "serializeImagePulls" not in cp
    assert worker["serializeImagePulls"] is False
    assert len(ctx.warnings) == 1
    assert "NoSuchKind" in ctx.warnings[0]


def test_strict_patches_fail_the_config_step(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    config = cluster("strict")
    config.kubeadm_config_patches = ["kind: NoSuchKind\nfoo: bar\n"]
    ctx = make_ctx(plugin_manager, fake_provider, config, strict_patches=True)
    with pytest.raises(PatchError):
        kubeadm_config.run(ctx)


def test_check_patches_fails_early_only_in_strict_mode(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    config = cluster("early").with_defaults()
    config.kubeadm_config_patches = ["kind: NoSuchKind\nfoo: bar\n"]
    lax = StepContext(config=config, provider=fake_provider, pm=plugin_manager)
    check_patches.run(lax)
    strict = StepContext(
        config=config, provider=fake_provider, pm=plugin_manager, strict_patches=True
    )
    with pytest.raises(PatchError, match="NoSuchKind"):
        check_patches.run(strict)
    assert fake_provider.events == []


def test_ipv6_cluster_needs_node_ipv6_addresses(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    fake_provider.node_setup.append(lambda n: setattr(n, "ipv6", ""))
    ctx = make_ctx(
        plugin_manager,
        fake_provider,
        cluster("v6", networking=Networking(ipFamily=IPFamily.IPV6)),
    )
    with pytest.raises(ProviderError, match="IPv6 address"):
        kubeadm_config.run(ctx)


def test_containerd_patches_rewrite_the_config_and_restart_containerd(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    config = cluster("ctd", workers=1)
    config.containerd_config_patches = [
        '[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "native"\n'
    ]
    ctx = make_ctx(plugin_manager, fake_provider, config)
    kubeadm_config.run(ctx)
    for name in ("ctd-control-plane", "ctd-worker"):
        node = fake_provider.node(name)
        assert 'snapshotter = "native"' in node.text("/etc/containerd/config.toml")
        restart = node.commands("systemctl", "restart", "containerd")
        assert restart == [("systemctl", "restart", "containerd")]
        # the restart comes after the new config is in place
        argvs = [c.argv for c in node.calls]
        assert argvs.index(("cp", "/dev/stdin", "/etc/containerd/config.toml")) < argvs.index(
            restart[0]
        )


def test_without_containerd_patches_containerd_is_untouched(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    ctx = make_ctx(plugin_manager, fake_provider, cluster("noctd"))
    kubeadm_config.run(ctx)
    node = fake_provider.node("noctd-control-plane")
    assert not node.commands("systemctl")
    assert not node.commands("cat", "/etc/containerd/config.toml")


# ---------------------------------------------------------------- kubeadm-init
def test_init_copies_shared_files_to_other_control_planes_and_keeps_admin_conf(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    ctx = make_ctx(plugin_manager, fake_provider, cluster("init", control_planes=3, workers=1))
    kubeadm_init.run(ctx)
    first = fake_provider.node("init-control-plane")
    assert first.commands("kubeadm", "init")
    for name in ("init-control-plane2", "init-control-plane3"):
        other = fake_provider.node(name)
        for path in kubeadm_init.SHARED_CONTROL_PLANE_FILES:
            assert other.files[path] == first.files[path]
        assert not other.commands("kubeadm")
    assert not fake_provider.node("init-worker").calls
    assert ctx.data["admin_conf"] == first.text("/etc/kubernetes/admin.conf")
    # several nodes: the control plane stays tainted
    assert not first.commands("kubectl")


def test_single_node_is_untainted_and_unexcluded(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    ctx = make_ctx(plugin_manager, fake_provider, cluster("solo"))
    kubeadm_init.run(ctx)
    node = fake_provider.node("solo-control-plane")
    assert node.commands("kubectl") == [
        ("kubectl", ADMIN, "taint", "nodes", "--all", "node-role.kubernetes.io/control-plane-"),
        (
            "kubectl",
            ADMIN,
            "label",
            "nodes",
            "--all",
            "node.kubernetes.io/exclude-from-external-load-balancers-",
        ),
    ]


@pytest.mark.parametrize(
    ("version", "taints"),
    [
        ("v1.23.17", ["node-role.kubernetes.io/master-"]),
        ("v1.24.0", ["node-role.kubernetes.io/control-plane-", "node-role.kubernetes.io/master-"]),
        ("v1.25.3", ["node-role.kubernetes.io/control-plane-"]),
        ("v1.36.1-alpha.0+abc", ["node-role.kubernetes.io/control-plane-"]),
    ],
)
def test_taints_follow_the_kubernetes_version(version: str, taints: list[str]) -> None:
    assert kubeadm_init.control_plane_taints(version) == taints


def test_kube_proxy_none_skips_the_kube_proxy_addon() -> None:
    config = cluster("np", networking=Networking(kubeProxyMode=ProxyMode.NONE))
    assert "--skip-phases=preflight,addon/kube-proxy" in kubeadm_init.init_argv(config)


# ---------------------------------------------------------------- kubeadm-join
def test_join_control_planes_in_order_then_workers(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    order: list[str] = []

    def record(node: FakeNode, call: Any) -> None:
        order.append(node.name)

    fake_provider.node_setup.append(lambda n: n.on(["kubeadm", "join"], record))
    config = cluster("join", control_planes=3, workers=2)
    ctx = make_ctx(plugin_manager, fake_provider, config)
    kubeadm_join.run(ctx)
    assert order[:2] == ["join-control-plane2", "join-control-plane3"]
    assert sorted(order[2:]) == ["join-worker", "join-worker2"]
    assert fake_provider.node("join-worker").commands("kubeadm") == [
        ("kubeadm", "join", "--config", "/kind/kubeadm.conf", "--skip-phases=preflight", "--v=6")
    ]
    assert not fake_provider.node("join-control-plane").commands("kubeadm")
    started = [m for k, m in ctx.status.events if k == "start"]
    assert started[-2:] == ["Joining more control-plane nodes 🎮", "Joining worker nodes 🚜"]


def test_join_waits_for_every_worker_then_reports_the_first_failure(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    ctx = make_ctx(plugin_manager, fake_provider, cluster("jf", workers=3))
    fake_provider.node("jf-worker2").fail(["kubeadm", "join"], stderr="cannot reach")
    with pytest.raises(Exception, match="exit code 1"):
        kubeadm_join.run(ctx)
    for name in ("jf-worker", "jf-worker2", "jf-worker3"):
        assert fake_provider.node(name).commands("kubeadm", "join")


def test_single_node_join_does_nothing(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    ctx = make_ctx(plugin_manager, fake_provider, cluster("nojoin"))
    events_before = list(ctx.status.events)
    kubeadm_join.run(ctx)
    assert ctx.status.events == events_before


# ---------------------------------------------------------------- storage
def test_storage_applies_the_node_image_manifest(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    ctx = make_ctx(plugin_manager, fake_provider, cluster("sto"))
    storage.run(ctx)
    node = fake_provider.node("sto-control-plane")
    (call,) = node.calls_to("kubectl")
    assert call.argv == ("kubectl", ADMIN, "apply", "-f", "-")
    assert call.stdin == node.files["/kind/manifests/default-storage.yaml"]
    assert ctx.warnings == []


def test_storage_falls_back_to_the_legacy_class_with_a_warning(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    fake_provider.node_setup.append(
        lambda n: n.files.pop("/kind/manifests/default-storage.yaml", None)
    )
    ctx = make_ctx(plugin_manager, fake_provider, cluster("old"))
    storage.run(ctx)
    (call,) = fake_provider.node("old-control-plane").calls_to("kubectl")
    assert "provisioner: kubernetes.io/host-path" in call.stdin_text
    assert len(ctx.warnings) == 1
