"""The add-on framework on an in-memory provider: prepare, install order, image preloading,
errors, install/remove on existing clusters, the listing for the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

import pykind
from pykind.addons import (
    addon_schema,
    install_addon,
    install_selected,
    list_addons,
    prepare_config,
    remove_addon,
)
from pykind.addons import images as addon_images
from pykind.addons.images import CTR_IMPORT, plan_preload
from pykind.cluster.context import StepContext
from pykind.config.models import ClusterConfig, NodeRole, PortMapping
from pykind.config.models import Node as NodeConfig
from pykind.errors import AddonError, ClusterNotFoundError, ConfigError, NodeCommandError
from pykind.plugin.manager import PykindPluginManager, create_plugin_manager
from pykind.plugin.types import AddonSpec
from pykind.status import RecordingStatus
from tests.unit.test_addon_fakes import FakeProvider


# ---------------------------------------------------------------- fake add-ons
class Opts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    images: list[str] = []
    port: int = 0


class Recorder:
    """Registers add-ons ``first``, ``second`` that record their calls."""

    def __init__(self, provider: FakeProvider) -> None:
        self.events = provider.events

    def _spec(self, name: str) -> AddonSpec:
        def install(ctx: StepContext, o: Opts) -> None:
            self.events.append(("install", name))

        def ready(ctx: StepContext, o: Opts) -> None:
            self.events.append(("ready", name))

        def remove(ctx: StepContext, o: Opts) -> None:
            self.events.append(("remove", name, o.port))

        def prepare(cfg: ClusterConfig, o: Opts) -> ClusterConfig:
            if o.port:
                cfg.nodes[0].extra_port_mappings.append(
                    PortMapping(container_port=o.port, host_port=o.port)
                )
            cfg.nodes[0].labels[f"{name}-ready"] = "true"
            return cfg

        return AddonSpec(
            name=name,
            install=install,
            options_model=Opts,
            images=lambda o: o.images,
            prepare=prepare,
            ready=ready,
            remove=remove if name == "first" else None,
        )

    @pykind.hookimpl
    def pykind_addons(self) -> Iterator[AddonSpec]:
        yield self._spec("first")
        yield self._spec("second")


@pytest.fixture(autouse=True)
def ctr_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the add-ons' own ``ctr images import`` path (the shared loader is tested apart)."""
    monkeypatch.setattr(addon_images, "_shared_loader", lambda: None)


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider(roles=("control-plane", "worker", "external-load-balancer"))


@pytest.fixture
def pm(provider: FakeProvider) -> PykindPluginManager:
    return create_plugin_manager(autoload=False, extra=[Recorder(provider)])


def _ctx(pm: PykindPluginManager, provider: FakeProvider, addons: dict[str, Any]) -> StepContext:
    return StepContext(
        config=ClusterConfig(name="c"),
        provider=provider,  # type: ignore[arg-type]
        pm=pm,
        status=RecordingStatus(),
        addons=addons,
    )


# ---------------------------------------------------------------- prepare
def test_prepare_applies_in_selection_order_on_a_copy(pm: PykindPluginManager) -> None:
    config = ClusterConfig(name="c")
    result = prepare_config(pm, config, {"second": {"port": "8080"}, "first": {}})
    assert config.nodes[0].labels == {} and config.nodes[0].extra_port_mappings == []
    node = result.nodes[0]
    assert list(node.labels) == ["second-ready", "first-ready"]
    assert [(m.container_port, m.host_port) for m in node.extra_port_mappings] == [(8080, 8080)]


def test_prepare_validates_options_first(pm: PykindPluginManager) -> None:
    with pytest.raises(ConfigError, match="add-on 'first': option 'port'"):
        prepare_config(pm, ClusterConfig(), {"first": {"port": "x"}})


def _pm_with(spec: AddonSpec) -> PykindPluginManager:
    class Plugin:
        @pykind.hookimpl
        def pykind_addons(self) -> Iterator[AddonSpec]:
            yield spec

    return create_plugin_manager(autoload=False, extra=[Plugin()])


def _noop(ctx: Any, options: Any) -> None:
    return None


def test_prepare_crash_names_the_addon() -> None:
    def prepare(cfg: ClusterConfig, o: Any) -> ClusterConfig:
        raise KeyError("boom")

    pm = _pm_with(AddonSpec(name="bad", install=_noop, prepare=prepare))
    with pytest.raises(AddonError, match="add-on 'bad' failed to prepare the config: 'boom'"):
        prepare_config(pm, ClusterConfig(), {"bad": {}})


def test_prepare_must_return_a_config() -> None:
    pm = _pm_with(AddonSpec(name="bad", install=_noop, prepare=lambda cfg, o: None))  # type: ignore[arg-type,return-value]
    with pytest.raises(AddonError, match="add-on 'bad': prepare must return a ClusterConfig"):
        prepare_config(pm, ClusterConfig(), {"bad": {}})


def test_prepare_result_is_revalidated() -> None:
    def prepare(cfg: ClusterConfig, o: Any) -> ClusterConfig:
        cfg.nodes[0].labels["x"] = 1  # type: ignore[assignment]
        return cfg

    pm = _pm_with(AddonSpec(name="bad", install=_noop, prepare=prepare))
    with pytest.raises(
        AddonError, match=r"add-on 'bad' made an invalid config: nodes\.0\.labels\.x"
    ):
        prepare_config(pm, ClusterConfig(), {"bad": {}})


# ---------------------------------------------------------------- install order and preload
def _kinds(events: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [e[:2] if e[0] != "run" else ("run", e[1], e[2][0]) for e in events]


def test_install_selected_order(pm: PykindPluginManager, provider: FakeProvider) -> None:
    ctx = _ctx(pm, provider, {"second": {}, "first": {}})
    install_selected(ctx)
    assert [e for e in provider.events if e[0] in {"install", "ready"}] == [
        ("install", "second"),
        ("ready", "second"),
        ("install", "first"),
        ("ready", "first"),
    ]
    status = ctx.status
    assert isinstance(status, RecordingStatus)
    assert status.events == [
        ("start", "Installing add-on second 🧩"),
        ("end", "ok"),
        ("start", "Waiting for add-on second to be ready ⏳"),
        ("end", "ok"),
        ("start", "Installing add-on first 🧩"),
        ("end", "ok"),
        ("start", "Waiting for add-on first to be ready ⏳"),
        ("end", "ok"),
    ]


def test_images_are_preloaded_before_install(
    pm: PykindPluginManager, provider: FakeProvider
) -> None:
    provider.images = {"demo/app:1": "sha256:a", "demo/side:2": "sha256:b"}
    wanted = ["demo/app:1", "demo/side:2@sha256:" + "c" * 64, "demo/absent:3", "demo/app:1"]
    ctx = _ctx(pm, provider, {"first": {"images": wanted}})
    install_selected(ctx)
    saves = [e for e in provider.events if e[0] == "save"]
    # one archive per Kubernetes node (control plane and worker, never the load balancer)
    assert saves == [("save", ("demo/app:1", "demo/side:2"))] * 2
    imports = [e for e in provider.events if e[0] == "run"]
    assert [(e[1], e[2], e[3]) for e in imports] == [
        ("c-control-plane", CTR_IMPORT, b"archive:demo/app:1,demo/side:2"),
        ("c-worker", CTR_IMPORT, b"archive:demo/app:1,demo/side:2"),
    ]
    order = [e[0] for e in provider.events if e[0] in {"run", "install"}]
    assert order == ["run", "run", "install"]
    assert ctx.warnings == [
        "add-on 'first': image(s) not found in the fake engine, so not preloaded "
        "(the nodes pull them if they can reach a registry): demo/absent:3"
    ]
    status = ctx.status
    assert isinstance(status, RecordingStatus)
    assert ("info", "WARNING: " + ctx.warnings[0]) in status.events


def test_shared_loader_is_used_when_installed(
    pm: PykindPluginManager, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []

    def load_images(provider: Any, cluster: str, images: list[str], **kwargs: Any) -> None:
        calls.append((provider, cluster, images, kwargs))

    monkeypatch.setattr(addon_images, "_shared_loader", lambda: load_images)
    provider.images = {"demo/app:1": "sha256:a"}
    ctx = _ctx(pm, provider, {"first": {"images": ["demo/app:1"]}})
    install_selected(ctx)
    assert calls == [
        (
            provider,
            "c",
            ["demo/app:1"],
            {"nodes": ["c-control-plane", "c-worker"], "status": ctx.status},
        )
    ]
    assert not [e for e in provider.events if e[0] in {"save", "run"}]


def test_plan_preload_digest_fallback_only_for_tagged_refs(provider: FakeProvider) -> None:
    provider.images = {"demo/a:1": "x", "demo/b": "y"}
    digest = "@sha256:" + "d" * 64
    plan = plan_preload(provider, ["demo/a:1" + digest, "demo/b" + digest])  # type: ignore[arg-type]
    assert plan.present == (("demo/a:1" + digest, "demo/a:1"),)
    assert plan.missing == ("demo/b" + digest,)


def test_no_images_means_no_archive(pm: PykindPluginManager, provider: FakeProvider) -> None:
    install_selected(_ctx(pm, provider, {"first": {}}))
    assert not [e for e in provider.events if e[0] in {"save", "image_id", "run"}]


def test_all_images_missing_loads_nothing(pm: PykindPluginManager, provider: FakeProvider) -> None:
    ctx = _ctx(pm, provider, {"first": {"images": ["x/y:1"]}})
    install_selected(ctx)
    assert not [e for e in provider.events if e[0] in {"save", "run"}]
    assert len(ctx.warnings) == 1 and ctx.warnings[0].endswith(": x/y:1")


def test_install_failure_names_addon_and_command_output(provider: FakeProvider) -> None:
    def install(ctx: StepContext, o: Any) -> None:
        ctx.nodes()[0].run(["kubectl", "apply"])

    provider.nodes[0].fail = {"apply": b"warning\nerror: no objects passed to apply\n"}
    pm = _pm_with(AddonSpec(name="bad", install=install))
    ctx = _ctx(pm, provider, {"bad": {}})
    with pytest.raises(AddonError) as info:
        install_selected(ctx)
    message = str(info.value)
    assert message.startswith("add-on 'bad' failed to install: command 'kubectl apply' failed")
    assert message.endswith(": error: no objects passed to apply")
    assert isinstance(info.value.__cause__, NodeCommandError)
    status = ctx.status
    assert isinstance(status, RecordingStatus)
    assert status.events[-1] == ("end", "failed")


def test_install_selected_revalidates_raw_options(
    pm: PykindPluginManager, provider: FakeProvider
) -> None:
    with pytest.raises(ConfigError, match="add-on 'first': option 'nope': unknown option"):
        install_selected(_ctx(pm, provider, {"first": {"nope": 1}}))


# ---------------------------------------------------------------- existing clusters
def test_install_addon_on_existing_cluster(pm: PykindPluginManager, provider: FakeProvider) -> None:
    warnings = install_addon(provider, "c", "FIRST", {"images": ["x/y:1"]}, pm=pm)
    assert ("install", "first") in provider.events
    assert len(warnings) == 2
    assert warnings[0].startswith("add-on 'first' sets node labels first-ready=true when a")
    assert "x/y:1" in warnings[1]


def test_install_addon_accepts_a_manager(pm: PykindPluginManager, provider: FakeProvider) -> None:
    class Manager:
        def __init__(self) -> None:
            self.provider = provider
            self.plugin_manager = pm

    install_addon(Manager(), "c", "second")
    assert ("install", "second") in provider.events


def test_install_addon_needs_the_cluster(pm: PykindPluginManager, provider: FakeProvider) -> None:
    with pytest.raises(ClusterNotFoundError, match="no nodes found for cluster 'other'"):
        install_addon(provider, "other", "first", pm=pm)
    assert not [e for e in provider.events if e[0] == "install"]


def test_install_addon_unknown_name(pm: PykindPluginManager, provider: FakeProvider) -> None:
    with pytest.raises(ConfigError, match="available add-ons: first, second"):
        install_addon(provider, "c", "third", pm=pm)


def test_remove_addon(pm: PykindPluginManager, provider: FakeProvider) -> None:
    status = RecordingStatus()
    remove_addon(provider, "c", "first", {"port": 7}, pm=pm, status=status)
    assert ("remove", "first", 7) in provider.events
    assert status.events == [("start", "Removing add-on first 🧹"), ("end", "ok")]


def test_remove_addon_without_remove(pm: PykindPluginManager, provider: FakeProvider) -> None:
    with pytest.raises(AddonError, match="add-on 'second' cannot be removed"):
        remove_addon(provider, "c", "second", pm=pm)


# ---------------------------------------------------------------- listing for the CLI
def test_list_and_schema(pm: PykindPluginManager) -> None:
    infos = {info.name: info for info in list_addons(pm)}
    assert set(infos) == {"first", "second"}
    assert infos["first"].options == ("images", "port")
    assert infos["first"].removable and not infos["second"].removable
    assert infos["first"].changes_config
    schema = addon_schema(pm, "first")
    assert schema["title"] == "first"
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"images", "port"}
    with pytest.raises(ConfigError, match="unknown add-on"):
        addon_schema(pm, "third")


def test_shipped_addons_are_entry_points() -> None:
    pm = create_plugin_manager()
    assert {"ingress-nginx", "contour", "registry"} <= set(pm.addons())
    by_name = {info.name: info for info in list_addons(pm)}
    assert by_name["ingress-nginx"].distribution == "pykind"
    assert by_name["ingress-nginx"].version == pykind.__version__


def test_config_node_role_helpers() -> None:
    cfg = ClusterConfig(nodes=[NodeConfig(role=NodeRole.WORKER), NodeConfig()])
    from pykind.addons.prepare import first_control_plane

    assert first_control_plane(cfg) is cfg.nodes[1]
    with pytest.raises(ConfigError, match="no control-plane node"):
        first_control_plane(ClusterConfig(nodes=[NodeConfig(role=NodeRole.WORKER)]))
