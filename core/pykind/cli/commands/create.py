"""``kind create cluster``."""

from __future__ import annotations

import os
import random
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from pykind.cli.errors import CommandError
from pykind.cli.formats import go_quote
from pykind.cli.group import KindGroup
from pykind.cli.options import (
    CONTEXT_SETTINGS,
    Duration,
    global_options,
    kubeconfig_option,
    provider_option,
)
from pykind.cli.state import CLUSTER_NAME_ENV, DEFAULT_CLUSTER_NAME, AppState, get_state

#: Upstream's farewells, one picked at random (minus the one sending bug reports upstream).
SALUTATIONS = (
    "Have a nice day! 👋",
    "Thanks for using kind! 😊",
    "Not sure what to do next? 😅  Check out https://kind.sigs.k8s.io/docs/user/quick-start/",
)


@click.group(cls=KindGroup, context_settings=CONTEXT_SETTINGS)
@global_options
def create() -> None:
    """Creates one of [cluster]"""


def parse_addon(spec: str) -> tuple[str, dict[str, str]]:
    """``NAME[:key=value,...]`` -> (name, options); ``-`` in keys means ``_``, a value may
    contain ``=`` but not ``,``. Raises click.BadParameter."""
    name, sep, rest = spec.partition(":")
    name = name.strip().lower()
    if not name:
        raise click.BadParameter(f"{spec!r}: expected NAME[:key=value,...]")
    if sep and not rest.strip():
        raise click.BadParameter(f"{spec!r}: expected key=value after ':'")
    options: dict[str, str] = {}
    for item in (part.strip() for part in rest.split(",")) if sep else ():
        key, eq, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not eq or not key:
            raise click.BadParameter(f"{spec!r}: expected key=value, got {item!r}")
        if key in options:
            raise click.BadParameter(f"{spec!r}: option {key!r} given twice")
        options[key] = value.strip()
    return name, options


def _addons(_: click.Context, __: click.Parameter, value: tuple[str, ...]) -> dict[str, Any]:
    result: dict[str, dict[str, str]] = {}
    for spec in value:
        name, options = parse_addon(spec)
        if name in result:
            raise click.BadParameter(f"add-on {name!r} given more than once")
        result[name] = options
    return result


def _peek_config_name(path: Path) -> str | None:
    """The ``name`` field of a config file, for the ``Creating cluster`` line only; the
    library reads and validates the file itself."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def config_from_stdin(text: str) -> Any:
    """``--config -``: the config read from stdin, parsed into a ClusterConfig.

    Its warnings are not printed here: the library reports them again in CreateResult.
    """
    from pykind.config.loader import parse_config

    return parse_config(text, source="<stdin>").config


def _kubectl_reads(path: Path) -> bool:
    """Whether plain ``kubectl`` (no --kubeconfig) reads ``path``."""
    env = os.environ.get("KUBECONFIG", "")
    candidates = [p for p in env.split(os.pathsep) if p] or [str(Path.home() / ".kube/config")]
    try:
        target = path.expanduser().resolve()
        return any(Path(c).expanduser().resolve() == target for c in candidates)
    except OSError:
        return False


@create.command("cluster", context_settings=CONTEXT_SETTINGS)
@click.option(
    "-n",
    "--name",
    default=None,
    metavar="NAME",
    help="cluster name, overrides KIND_CLUSTER_NAME, config (default kind)",
)
@click.option(
    "--config",
    default=None,
    metavar="PATH",
    help="path to a kind config file ('-' reads it from stdin)",
)
@click.option(
    "--image",
    default=None,
    metavar="IMAGE",
    help="node docker image to use for booting the cluster",
)
@click.option(
    "--retain", is_flag=True, help="retain nodes for debugging when cluster creation fails"
)
@click.option(
    "--wait",
    type=Duration(),
    default="0s",
    metavar="DURATION",
    help="wait for control plane node to be ready (default 0s)",
)
@kubeconfig_option
@click.option(
    "--addon",
    "addons",
    multiple=True,
    metavar="NAME[:K=V,...]",
    callback=_addons,
    help="install an add-on once the cluster is up (repeatable; see `kind addon list`)",
)
@click.option(
    "--addons-file",
    default=None,
    metavar="PATH",
    help="YAML file choosing add-ons (addons: [{name, options}]); --addon flags override it",
)
@click.option(
    "--strict-patches",
    is_flag=True,
    help="fail when a kubeadm or containerd config patch does not apply (default: warn)",
)
@click.option(
    "--cni",
    default=None,
    metavar="NAME",
    help="install this CNI instead of the default kindnet (plugins register CNIs)",
)
@provider_option
@global_options
def create_cluster(
    name: str | None,
    config: str | None,
    image: str | None,
    retain: bool,
    wait: float,
    kubeconfig: str | None,
    addons: dict[str, Any],
    addons_file: str | None,
    strict_patches: bool,
    cni: str | None,
    provider: str | None,
) -> None:
    """Creates a local Kubernetes cluster

    Creates a local Kubernetes cluster using Docker or Podman container 'nodes'.
    """
    from pykind.errors import PykindError

    state = get_state()
    state.setup()
    name = name or os.environ.get(CLUSTER_NAME_ENV) or None
    display_name = name  # for the first line; the library applies config name and default
    config_arg: Any = None
    manager = state.manager(provider)
    try:
        if config == "-":
            config_arg = config_from_stdin(sys.stdin.read())
            display_name = display_name or getattr(config_arg, "name", None)
        elif config:
            config_arg = Path(config)
            display_name = display_name or _peek_config_name(config_arg)
        status = state.status
        status.announce(f"Creating cluster {go_quote(display_name or DEFAULT_CLUSTER_NAME)} ...")
        if addons_file:
            from pykind.addons import load_addons_file, merge_selections

            addons = merge_selections(load_addons_file(addons_file), addons)
        extra: dict[str, Any] = {"cni": cni} if cni else {}
        result = manager.create(
            name,
            config=config_arg,
            image=image,
            retain=retain,
            wait=wait,
            kubeconfig=kubeconfig,
            addons=addons or None,
            strict_patches=strict_patches,
            **extra,
        )
    except PykindError as exc:
        raise CommandError("failed to create cluster", exc) from exc
    status.flush()
    shown = set(status.shown_infos)
    for warning in getattr(result, "warnings", ()) or ():
        if warning not in shown and f"WARNING: {warning}" not in shown:
            state.warn(warning)
    print_usage(state, result, explicit_kubeconfig=kubeconfig)


def print_usage(state: AppState, result: Any, *, explicit_kubeconfig: str | None) -> None:
    """Upstream's closing lines: context set, how to use the cluster, a farewell."""
    context = getattr(result, "context", None) or f"kind-{result.name}"
    sample = f"kubectl cluster-info --context {context}"
    path = getattr(result, "kubeconfig_path", None)
    if explicit_kubeconfig:
        sample += " --kubeconfig " + shlex.quote(explicit_kubeconfig)
    elif path is not None and not _kubectl_reads(Path(path)):
        sample += " --kubeconfig " + shlex.quote(str(path))
    state.info(f"Set kubectl context to {go_quote(context)}")
    state.info(f"You can now use your cluster with:\n\n{sample}")
    note = getattr(result, "kubeconfig_note", None)
    if note:
        state.info("")
        state.info(str(note))
    state.info("")
    state.info(random.choice(SALUTATIONS))
