"""``kind build node-image``."""

from __future__ import annotations

import click

from pykind.cli.errors import CommandError
from pykind.cli.formats import go_quote
from pykind.cli.group import KindGroup
from pykind.cli.options import CONTEXT_SETTINGS, global_options, provider_option
from pykind.cli.state import get_state

DEFAULT_IMAGE = "kindest/node:latest"


@click.group(cls=KindGroup, context_settings=CONTEXT_SETTINGS)
@global_options
def build() -> None:
    """Build one of [node-image]"""


@build.command("node-image", context_settings=CONTEXT_SETTINGS)
@click.argument("kube_source", required=False, metavar="[KUBERNETES-SOURCE]")
@click.option(
    "--type",
    "build_type",
    type=click.Choice(["file", "url", "release", "source"]),
    default=None,
    help="optionally specify one of 'url', 'file', 'release' or 'source' as the type of build",
)
@click.option(
    "--image",
    default=DEFAULT_IMAGE,
    show_default=True,
    help="name:tag of the resulting image to be built",
)
@click.option(
    "--base-image",
    default=None,
    help="name:tag of the base image to use for the build (default: the pinned kindest/base)",
)
@click.option(
    "--arch", default=None, help="architecture to build for, defaults to the host architecture"
)
@provider_option
@global_options
def build_node_image(
    kube_source: str | None,
    build_type: str | None,
    image: str,
    base_image: str | None,
    arch: str | None,
    provider: str | None,
) -> None:
    """Build the node image

    Build the node image which contains Kubernetes build artifacts and other kind
    requirements. KUBERNETES-SOURCE is a release (v1.31.0), a URL or file of a release
    tarball, or a Kubernetes source tree.
    """
    from pykind.errors import PykindError

    state = get_state()
    state.setup()
    manager = state.manager(provider)
    options = {"build_type": build_type, "base_image": base_image, "arch": arch}
    try:
        tag = manager.build_node_image(
            kube_source=kube_source,
            image=image,
            **{key: value for key, value in options.items() if value is not None},
        )
    except PykindError as exc:
        raise CommandError("error building node image", exc) from exc
    state.status.flush()
    state.info(f"Image {go_quote(str(tag or image))} build completed.")
