"""``kind load docker-image|image-archive|image``."""

from __future__ import annotations

from pathlib import Path

import click

from pykind.cli.group import KindGroup
from pykind.cli.options import (
    CONTEXT_SETTINGS,
    global_options,
    name_option,
    nodes_option,
    provider_option,
)
from pykind.cli.state import default_name, get_state


@click.group(cls=KindGroup, context_settings=CONTEXT_SETTINGS)
@global_options
def load() -> None:
    """Loads images into nodes"""


@load.command("docker-image", context_settings=CONTEXT_SETTINGS)
@click.argument("images", nargs=-1, metavar="<IMAGE> [IMAGE...]")
@name_option()
@nodes_option
@provider_option
@global_options
def load_docker_image(
    images: tuple[str, ...], name: str | None, nodes: list[str], provider: str | None
) -> None:
    """Loads docker images from host into nodes

    Loads docker images from host into all or specified nodes by name.
    """
    state = get_state()
    state.setup()
    if not images:
        raise click.UsageError("a list of image names is required")
    images = tuple(dict.fromkeys(images))  # upstream drops duplicates
    manager = state.manager(provider)
    manager.load_images(list(images), name=default_name(name), nodes=nodes or None)


@load.command("image-archive", context_settings=CONTEXT_SETTINGS)
@click.argument("archives", nargs=-1, metavar="<IMAGE.tar> [IMAGE.tar...]")
@name_option()
@nodes_option
@provider_option
@global_options
def load_image_archive(
    archives: tuple[str, ...], name: str | None, nodes: list[str], provider: str | None
) -> None:
    """Loads docker image from archive into nodes

    Loads docker image from archive into all or specified nodes by name.
    """
    state = get_state()
    state.setup()
    if not archives:
        raise click.UsageError("name of image archive is required")
    manager = state.manager(provider)
    paths = [Path(a) for a in archives]
    manager.load_archives(paths, name=default_name(name), nodes=nodes or None)


@load.command("image", context_settings=CONTEXT_SETTINGS)
@click.argument("images", nargs=-1, metavar="<IMAGE|ARCHIVE> [...]")
@name_option()
@nodes_option
@provider_option
@global_options
def load_image(
    images: tuple[str, ...], name: str | None, nodes: list[str], provider: str | None
) -> None:
    """Loads images or image archives into nodes

    Each argument is an image of the node provider's engine, or the path of an image
    archive (`docker save` / `podman save` output). Images already present on a node
    are skipped.
    """
    state = get_state()
    state.setup()
    if not images:
        raise click.UsageError("a list of images or image archives is required")
    manager = state.manager(provider)
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
