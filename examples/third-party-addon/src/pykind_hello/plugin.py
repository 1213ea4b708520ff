"""The ``hello`` add-on and the ``kind hello`` command.

pykind finds this module through the ``pykind`` entry point in ``pyproject.toml`` and calls the
hooks marked with :data:`pykind.hookimpl`.
"""

from __future__ import annotations

from collections.abc import Iterator

import click
import yaml
from pydantic import BaseModel, ConfigDict, Field

import pykind
from pykind.addons.kubectl import apply_manifest, control_plane_node, delete_manifest
from pykind.cluster.context import StepContext
from pykind.plugin.types import AddonSpec


class HelloOptions(BaseModel):
    """Options of the hello add-on (``--addon hello:message=hi``)."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field("hello from pykind-hello", description="Text stored in the ConfigMap")
    namespace: str = Field("default", description="Namespace of the ConfigMap")


def configmap(options: HelloOptions) -> bytes:
    """The ConfigMap the add-on creates."""
    doc = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "hello", "namespace": options.namespace},
        "data": {"message": options.message},
    }
    return yaml.safe_dump(doc, sort_keys=False).encode()


def install(ctx: StepContext, options: HelloOptions) -> None:
    apply_manifest(control_plane_node(ctx.nodes()), configmap(options))


def remove(ctx: StepContext, options: HelloOptions) -> None:
    delete_manifest(control_plane_node(ctx.nodes()), configmap(options))


@pykind.hookimpl
def pykind_addons() -> Iterator[AddonSpec]:
    yield AddonSpec(
        name="hello",
        install=install,
        remove=remove,
        options_model=HelloOptions,
        description="Creates a ConfigMap 'hello' (example third-party add-on)",
    )


@pykind.hookimpl
def pykind_register_commands(cli: click.Group) -> None:
    @cli.command("hello")
    @click.argument("who", default="kind")
    def hello(who: str) -> None:
        """Say hello (added by the pykind-hello plugin)."""
        click.echo(f"Hello, {who}!")
