"""Step ``kubeconfig``: merge the ``kind-<name>`` cluster, user and context into the user's
kubeconfig (upstream's ``kubeconfig.Export`` after the actions)."""

from __future__ import annotations

from pykind.cluster.context import StepContext
from pykind.cluster.nodes import ADMIN_CONF, bootstrap_control_plane, read_file
from pykind.cluster.steps.kubeadm_init import ADMIN_CONF_KEY
from pykind.plugin.types import CreateStep, Phase

PATH_KEY = "kubeconfig_path"
NOTE_KEY = "kubeconfig_note"


def admin_conf(ctx: StepContext) -> str:
    text = ctx.data.get(ADMIN_CONF_KEY)
    if not isinstance(text, str):
        text = read_file(bootstrap_control_plane(ctx.nodes()), ADMIN_CONF)
        ctx.data[ADMIN_CONF_KEY] = text
    return text


def run(ctx: StepContext) -> None:
    from pykind import kubeconfig

    name = ctx.config.name
    endpoint = ctx.provider.api_server_endpoint(name)
    target = kubeconfig.resolve_target(ctx.kubeconfig)
    entries = kubeconfig.build_entries(admin_conf(ctx), name, endpoint=endpoint)
    ctx.data[PATH_KEY] = kubeconfig.write_cluster(target, entries)
    ctx.data[NOTE_KEY] = target.note


STEP = CreateStep(
    name="kubeconfig",
    phase=Phase.KUBECONFIG,
    run=run,
    description="write the kind-<name> context into the kubeconfig",
)
