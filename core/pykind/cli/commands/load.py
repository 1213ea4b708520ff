"""``kind load docker-image|image-archive|image``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from pykind.cli.group import KindGroup
from pykind.cli.options import (
    CONTEXT_SETTINGS,
    F,
    global_options,
    name_option,
    nodes_option,
    provider_option,
)
from pykind.cli.state import default_name, get_state

if TYPE_CHECKING:
    from pykind.cluster.manager import ClusterManager


@click.group(cls=KindGroup, context_settings=CONTEXT_SETTINGS)
@global_options
def load() -> None:
    """Loads images into nodes"""


def _target_options(func: F) -> F:
    """``--name``, ``--nodes``, ``--provider`` and the global options of every load command."""
    for decorator in (global_options, provider_option, nodes_option, name_option()):
        func = decorator(func)
    return func


def _manager(items: tuple[str, ...], provider: str | None, missing: str) -> ClusterManager:
    """Set up the command; a usage error (``missing``) without ``items``, else the manager."""
    state = get_state()
    state.setup()
    if not items:
        raise click.UsageError(missing)
    return state.manager(provider)


@load.command("docker-image", context_settings=CONTEXT_SETTINGS)
@click.argument("images", nargs=-1, metavar="<IMAGE> [IMAGE...]")
@_target_options
def load_docker_image(
    images: tuple[str, ...], name: str | None, nodes: list[str], provider: str | None
) -> None:
    """Loads docker images from host into nodes

    Loads docker images from host into all or specified nodes by name.
    """
    manager = _manager(images, provider, "a list of image names is required")
    images = tuple(dict.fromkeys(images))  # upstream drops duplicates
    manager.load_images(list(images), name=default_name(name), nodes=nodes or None)


@load.command("image-archive", context_settings=CONTEXT_SETTINGS)
@click.argument("archives", nargs=-1, metavar="<IMAGE.tar> [IMAGE.tar...]")
@_target_options
def load_image_archive(
    archives: tuple[str, ...], name: str | None, nodes: list[str], provider: str | None
) -> None:
    """Loads docker image from archive into nodes

    Loads docker image from archive into all or specified nodes by name.
    """
    manager = _manager(archives, provider, "name of image archive is required")
    paths = [Path(a) for a in archives]
    manager.load_archives(paths, name=default_name(name), nodes=nodes or None)


@load.command("image", context_settings=CONTEXT_SETTINGS)
@click.argument("images", nargs=-1, metavar="<IMAGE|ARCHIVE> [...]")
@_target_options
def load_image(
    images: tuple[str, ...], name: str | None, nodes: list[str], provider: str | None
) -> None:
    """Loads images or image archives into nodes

    Each argument is an image of the node provider's engine, or the path of an image
    archive (`docker save` / `podman save` output). Images already present on a node
    are skipped.
    """
    manager = _manager(images, provider, "a list of images or image archives is required")
    cluster = default_name(name)
    load_any = getattr(manager, "load_any", None)
    if callable(load_any):  # the library resolves each reference (other engines, files)
        load_any(list(dict.fromkeys(images)), name=cluster, nodes=nodes or None)
        return
    archives = [Path(i) for i in images if Path(i).is_file()]
    names = [i for i in dict.fromkeys(images) if not Path(i).is_file()]
    if names:
        manager.load_images(names, name=cluster, nodes=nodes or None)
    if archives:
        manager.load_archives(archives, name=cluster, nodes=nodes or None)
