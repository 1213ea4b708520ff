"""The create pipeline with the in-memory provider: order, hooks, failures, cleanup, retain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from pykind.cluster.context import StepContext
from pykind.cluster.create import CreateResult, create_cluster
from pykind.config.models import ClusterConfig, Node, NodeRole, PortMapping
from pykind.errors import (
    AddonError,
    ClusterExistsError,
    ConfigError,
    ImageNotFoundError,
    NodeCommandError,
    ProviderError,
    StepError,
)
from pykind.plugin import hookimpl
from pykind.plugin.manager import PykindPluginManager
from pykind.plugin.types import AddonSpec, CreateStep, Phase
from pykind.status import RecordingStatus
from pykind.testing.fakes import FakeNode, FakeProvider

pytest_plugins = ["pykind.testing.fixtures"]

BUILTIN_ORDER = [
    "check-patches",
    "preflight",
    "ensure-images",
    "provision",
    "loadbalancer",
    "kubeadm-config",
    "kubeadm-init",
    "cni",
    "storage",
    "kubeadm-join",
    "wait-ready",
    "kubeconfig",
    "addons",
]


def cluster(name: str, control_planes: int = 1, workers: int = 0) -> ClusterConfig:
    nodes = [Node(role=NodeRole.CONTROL_PLANE) for _ in range(control_planes)]
    nodes += [Node(role=NodeRole.WORKER) for _ in range(workers)]
    return ClusterConfig(name=name, nodes=nodes)


@pytest.fixture(autouse=True)
def isolated_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real ~/.kube/config: KUBECONFIG points into tmp_path."""
    path = tmp_path / "kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PYKIND_LOADBALANCER", raising=False)
    monkeypatch.delenv("PYKIND_LOADBALANCER_IMAGE", raising=False)
    return path


class StepRecorder:
    """Wraps pykind_run_step and records the steps that ran, in order."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.outcomes: list[tuple[str, str]] = []

    @hookimpl(wrapper=True)
    def pykind_run_step(self, step: CreateStep, ctx: StepContext) -> Iterator[None]:
        self.ran.append(step.name)
        try:
            result = yield
        except BaseException as exc:
            self.outcomes.append((step.name, type(exc).__name__))
            raise
        self.outcomes.append((step.name, "ok"))
        return result


def failing_step(name: str, phase: Phase, exc: BaseException) -> object:
    def run(ctx: StepContext) -> None:
        raise exc

    class Plugin:
        @hookimpl
        def pykind_create_steps(self) -> list[CreateStep]:
            return [CreateStep(name=name, phase=phase, run=run)]

    return Plugin()


def test_steps_are_registered_in_upstream_order(plugin_manager: PykindPluginManager) -> None:
    assert [s.name for s in plugin_manager.create_steps()] == BUILTIN_ORDER


def test_single_node_cluster_runs_every_step_and_reports_upstream_status(
    plugin_manager: PykindPluginManager,
    fake_provider: FakeProvider,
    register_plugin: Any,
    isolated_kubeconfig: Path,
) -> None:
    recorder = register_plugin(StepRecorder())
    status = RecordingStatus()
    result = create_cluster(plugin_manager, fake_provider, cluster("one"), status=status)

    assert isinstance(result, CreateResult)
    assert result.name == "one"
    assert result.context == "kind-one"
    assert result.kubeconfig_path == isolated_kubeconfig
    assert "kind-one" in isolated_kubeconfig.read_text()
    # loadbalancer is skipped (one control plane); every other step runs in order
    assert recorder.ran == [s for s in BUILTIN_ORDER if s != "loadbalancer"]
    started = [msg for kind, msg in status.events if kind == "start"]
    assert started == [
        "Ensuring node image (kindest/node:v1.36.1) 🖼",
        "Preparing nodes 📦 ",
        "Writing configuration 📜",
        "Starting control-plane 🕹️",
        "Installing CNI 🔌",
        "Installing StorageClass 💾",
    ]
    assert ("end", "failed") not in status.events
    node = fake_provider.node("one-control-plane")
    assert node.commands("kubeadm", "init") == [
        (
            "kubeadm",
            "init",
            "--skip-phases=preflight",
            "--config=/kind/kubeadm.conf",
            "--skip-token-print",
            "--v=6",
        )
    ]
    assert "kind: InitConfiguration" in node.text("/kind/kubeadm.conf")


def test_ha_cluster_status_lines_include_load_balancer_and_joins(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    status = RecordingStatus()
    create_cluster(
        plugin_manager, fake_provider, cluster("ha", control_planes=3, workers=3), status=status
    )
    started = [msg for kind, msg in status.events if kind == "start"]
    assert started == [
        "Ensuring node image (kindest/node:v1.36.1) 🖼",
        "Preparing nodes 📦 📦 📦 📦 📦 📦 ",
        "Configuring the external load balancer ⚖️",
        "Writing configuration 📜",
        "Starting control-plane 🕹️",
        "Installing CNI 🔌",
        "Installing StorageClass 💾",
        "Joining more control-plane nodes 🎮",
        "Joining worker nodes 🚜",
    ]
    names = [n.name for n in fake_provider.fake_nodes("ha")]
    assert names == [
        "ha-control-plane",
        "ha-control-plane2",
        "ha-control-plane3",
        "ha-external-load-balancer",
        "ha-worker",
        "ha-worker2",
        "ha-worker3",
    ]


def test_existing_cluster_is_refused_before_anything_runs(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    fake_provider.add_node("taken", "taken-control-plane", "control-plane")
    recorder = register_plugin(StepRecorder())
    with pytest.raises(ClusterExistsError) as info:
        create_cluster(plugin_manager, fake_provider, cluster("taken"))
    assert str(info.value) == 'node(s) already exist for a cluster with the name "taken"'
    assert recorder.ran == []
    # the existing cluster is left alone
    assert [n.name for n in fake_provider.fake_nodes("taken")] == ["taken-control-plane"]


def test_failing_node_command_names_the_step_keeps_output_and_cleans_up(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, isolated_kubeconfig: Path
) -> None:
    fake_provider.node_setup.append(
        lambda n: n.fail(["kubeadm", "init"], returncode=3, stderr="etcd did not come up")
    )
    status = RecordingStatus()
    with pytest.raises(StepError) as info:
        create_cluster(plugin_manager, fake_provider, cluster("boom", workers=1), status=status)
    err = info.value
    assert err.step == "kubeadm-init"
    assert 'create step "kubeadm-init" failed' in str(err)
    assert "etcd did not come up" in str(err)
    assert isinstance(err.__cause__, NodeCommandError)
    assert err.__cause__.returncode == 3
    assert ("start", "Starting control-plane 🕹️") in status.events
    assert ("end", "failed") in status.events
    # cleanup: every container is gone
    assert fake_provider.list_clusters() == []
    assert sorted(fake_provider.deleted) == ["boom-control-plane", "boom-worker"]


def test_retain_keeps_the_containers_after_a_failure(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    fake_provider.node_setup.append(lambda n: n.fail(["kubeadm", "join"]))
    with pytest.raises(StepError) as info:
        create_cluster(plugin_manager, fake_provider, cluster("kept", workers=2), retain=True)
    assert info.value.step == "kubeadm-join"
    assert fake_provider.deleted == []
    assert len(fake_provider.fake_nodes("kept")) == 3


def test_half_provisioned_cluster_is_cleaned_up(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    fake_provider.provision_error = ProviderError("docker run failed: out of space")
    fake_provider.provision_fail_after = 2
    with pytest.raises(StepError) as info:
        create_cluster(plugin_manager, fake_provider, cluster("half", workers=3))
    assert info.value.step == "provision"
    assert "out of space" in str(info.value)
    assert len(fake_provider.deleted) == 2
    assert fake_provider.list_clusters() == []


@pytest.mark.parametrize("retain", [False, True])
def test_keyboard_interrupt_cleans_up_unless_retain_then_propagates(
    plugin_manager: PykindPluginManager,
    fake_provider: FakeProvider,
    register_plugin: Any,
    retain: bool,
) -> None:
    register_plugin(failing_step("interrupt", Phase.CNI, KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        create_cluster(plugin_manager, fake_provider, cluster("intr"), retain=retain)
    assert (fake_provider.list_clusters() == ["intr"]) is retain


def test_system_exit_during_create_also_cleans_up(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    register_plugin(failing_step("exit", Phase.STORAGE, SystemExit(2)))
    with pytest.raises(SystemExit):
        create_cluster(plugin_manager, fake_provider, cluster("sysexit"))
    assert fake_provider.list_clusters() == []


def test_a_failing_cleanup_is_reported_with_the_original_error(
    plugin_manager: PykindPluginManager,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_provider.node_setup.append(lambda n: n.fail(["kubeadm", "init"], stderr="init broke"))

    def refuse(nodes: object) -> None:
        raise ProviderError("engine went away")

    monkeypatch.setattr(fake_provider, "delete_nodes", refuse)
    with pytest.raises(StepError) as info:
        create_cluster(plugin_manager, fake_provider, cluster("dirty"))
    message = str(info.value)
    assert info.value.step == "kubeadm-init"
    assert "init broke" in message
    assert "cleanup of cluster 'dirty' failed too: engine went away" in message


def test_unexpected_exception_is_wrapped_with_its_type(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    register_plugin(failing_step("buggy", Phase.STORAGE, ValueError("bad value")))
    with pytest.raises(StepError) as info:
        create_cluster(plugin_manager, fake_provider, cluster("bug"))
    assert info.value.step == "buggy"
    assert "ValueError: bad value" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)


def test_cleanup_removes_the_kubeconfig_entry_written_before_the_failure(
    plugin_manager: PykindPluginManager,
    fake_provider: FakeProvider,
    register_plugin: Any,
    isolated_kubeconfig: Path,
) -> None:
    register_plugin(failing_step("late", Phase.ADDONS, RuntimeError("late failure")))
    with pytest.raises(StepError):
        create_cluster(plugin_manager, fake_provider, cluster("late"))
    assert "kind-late" not in isolated_kubeconfig.read_text()


def test_modify_create_steps_can_remove_and_reorder(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    seen_configs: list[str] = []

    class Modifier:
        @hookimpl
        def pykind_modify_create_steps(
            self, steps: list[CreateStep], config: ClusterConfig
        ) -> None:
            seen_configs.append(config.name)
            steps[:] = [s for s in steps if s.name != "storage"]
            cni = next(s for s in steps if s.name == "cni")
            steps.remove(cni)
            steps.append(cni)

    register_plugin(Modifier())
    recorder = register_plugin(StepRecorder())
    create_cluster(plugin_manager, fake_provider, cluster("mod"))
    assert seen_configs == ["mod"]
    assert "storage" not in recorder.ran
    assert recorder.ran[-1] == "cni"
    node = fake_provider.node("mod-control-plane")
    assert not node.commands("kubectl", "--kubeconfig=/etc/kubernetes/admin.conf", "apply")


def test_run_step_wrapper_sees_failures_and_first_result_can_replace_a_step(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    replaced: list[str] = []

    class Replacer:
        @hookimpl
        def pykind_run_step(self, step: CreateStep, ctx: StepContext) -> bool | None:
            if step.name == "storage":
                replaced.append(ctx.config.name)
                return True  # handled: the core implementation does not run
            return None

    register_plugin(Replacer())
    recorder = register_plugin(StepRecorder())
    create_cluster(plugin_manager, fake_provider, cluster("wrap"))
    assert replaced == ["wrap"]
    assert ("storage", "ok") in recorder.outcomes
    node = fake_provider.node("wrap-control-plane")
    assert not node.commands("cat", "/kind/manifests/default-storage.yaml")


def test_plugin_step_runs_at_its_phase_after_builtins_of_the_same_phase(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    order: list[str] = []

    def sysctl(ctx: StepContext) -> None:
        order.append("sysctl")
        for node in ctx.nodes():
            node.run(["sysctl", "-w", "fs.inotify.max_user_instances=8192"])

    class Plugin:
        @hookimpl
        def pykind_create_steps(self) -> list[CreateStep]:
            return [CreateStep(name="sysctl", phase=Phase.KUBEADM_CONFIG, run=sysctl)]

    register_plugin(Plugin())
    recorder = register_plugin(StepRecorder())
    create_cluster(plugin_manager, fake_provider, cluster("plug"))
    index = recorder.ran.index("sysctl")
    assert recorder.ran[index - 1] == "kubeadm-config"
    assert recorder.ran[index + 1] == "kubeadm-init"
    assert fake_provider.node("plug-control-plane").commands("sysctl")


def test_skip_if_is_honoured(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    def never(ctx: StepContext) -> None:
        raise AssertionError("must not run")

    class Plugin:
        @hookimpl
        def pykind_create_steps(self) -> list[CreateStep]:
            return [
                CreateStep(name="skipped", phase=Phase.ADDONS, run=never, skip_if=lambda cfg: True)
            ]

    register_plugin(Plugin())
    create_cluster(plugin_manager, fake_provider, cluster("skip"))


def test_cluster_created_hook_gets_the_context(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    created: list[tuple[str, list[str]]] = []

    class Listener:
        @hookimpl
        def pykind_cluster_created(self, ctx: StepContext) -> None:
            created.append((ctx.config.name, [n.name for n in ctx.nodes()]))

    register_plugin(Listener())
    create_cluster(plugin_manager, fake_provider, cluster("evt", workers=1))
    assert created == [("evt", ["evt-control-plane", "evt-worker"])]


def test_unknown_cni_is_a_config_error_before_any_container(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    with pytest.raises(ConfigError) as info:
        create_cluster(plugin_manager, fake_provider, cluster("cni"), cni="nope")
    assert "unknown CNI 'nope'" in str(info.value)
    assert "kindnet" in str(info.value)
    assert fake_provider.events == []


def test_missing_image_fails_in_ensure_images_with_a_clear_message(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    fake_provider.present_images = set()
    with pytest.raises(StepError) as info:
        create_cluster(plugin_manager, fake_provider, cluster("noimg"))
    assert info.value.step == "ensure-images"
    assert "'kindest/node:v1.36.1' is not present in fake and could not be pulled" in str(
        info.value
    )
    assert isinstance(info.value.__cause__, ImageNotFoundError)
    assert not any(e.op == "provision" for e in fake_provider.events)


def test_long_cluster_name_warns(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    name = "n" * 51
    result = create_cluster(plugin_manager, fake_provider, cluster(name))
    assert any("probably too long" in w for w in result.warnings)


def test_rootless_provider_without_cgroup2_is_refused(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    fake_provider.rootless = True
    fake_provider.cgroup2 = False
    with pytest.raises(ProviderError, match="requires cgroup v2"):
        create_cluster(plugin_manager, fake_provider, cluster("rootless"))
    assert fake_provider.events == []


class GreeterOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    greeting: str = "hello"
    port: int = 8080


class GreeterAddon:
    def __init__(self) -> None:
        self.installed: list[tuple[str, str]] = []
        self.ready_calls = 0

    def prepare(self, config: ClusterConfig, options: Any) -> ClusterConfig:
        config = config.model_copy(deep=True)
        config.nodes[0].extra_port_mappings.append(
            PortMapping(containerPort=options.port, hostPort=options.port)
        )
        config.nodes[0].labels["greeter"] = "yes"
        return config

    def install(self, ctx: StepContext, options: Any) -> None:
        self.installed.append((ctx.config.name, options.greeting))

    def ready(self, ctx: StepContext, options: Any) -> None:
        self.ready_calls += 1

    @hookimpl
    def pykind_addons(self) -> list[AddonSpec]:
        return [
            AddonSpec(
                name="greeter",
                install=self.install,
                options_model=GreeterOptions,
                prepare=self.prepare,
                ready=self.ready,
            )
        ]


def test_addons_are_validated_prepared_and_installed(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    addon = register_plugin(GreeterAddon())
    create_cluster(
        plugin_manager,
        fake_provider,
        cluster("addon"),
        addons={"greeter": {"greeting": "hi", "port": 9090}},
    )
    plan = fake_provider.plans["addon"]
    cp = plan.nodes[0].config
    assert cp is not None
    assert [m.container_port for m in cp.extra_port_mappings] == [9090]
    assert cp.labels == {"greeter": "yes"}
    assert addon.installed == [("addon", "hi")]
    assert addon.ready_calls == 1


def test_unknown_addon_and_bad_options_are_config_errors(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    register_plugin(GreeterAddon())
    with pytest.raises(ConfigError) as unknown:
        create_cluster(plugin_manager, fake_provider, cluster("a1"), addons={"nope": {}})
    assert "nope" in str(unknown.value) and "greeter" in str(unknown.value)  # lists choices
    with pytest.raises(ConfigError) as info:
        create_cluster(
            plugin_manager, fake_provider, cluster("a2"), addons={"greeter": {"colour": "red"}}
        )
    assert "greeter" in str(info.value) and "colour" in str(info.value)
    assert fake_provider.events == []


def test_failing_addon_prepare_is_an_addon_error(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider, register_plugin: Any
) -> None:
    addon = GreeterAddon()

    def broken(config: ClusterConfig, options: Any) -> ClusterConfig:
        raise RuntimeError("cannot prepare")

    addon.prepare = broken  # type: ignore[method-assign]
    register_plugin(addon)
    with pytest.raises(AddonError, match="cannot prepare"):
        create_cluster(plugin_manager, fake_provider, cluster("a3"), addons={"greeter": {}})


def test_step_data_is_handed_on_in_the_result(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    result = create_cluster(plugin_manager, fake_provider, cluster("data"))
    assert "kubernetes-admin" in result.data["admin_conf"]
    token = result.data["kubeadm_token"]
    node: FakeNode = fake_provider.node("data-control-plane")
    assert token in node.text("/kind/kubeadm.conf")
