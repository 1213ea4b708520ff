"""Step ``ensure-images``: every image the cluster needs is in the engine, pulled once if not
(upstream's ``ensureNodeImages``)."""

from __future__ import annotations

from pykind.cluster.context import StepContext
from pykind.cluster.steps.provision import load_balancer_flavour
from pykind.errors import ImageNotFoundError
from pykind.loadbalancer import FLAVOUR_ENV, IMAGE_ENV
from pykind.plugin.types import CreateStep, Phase
from pykind.runtime.protocols import NodeProvider
from pykind.status import step


def friendly_image_name(image: str) -> str:
    """The image without its digest, for display (upstream's ``sanitizeImage``)."""
    return image.split("@", 1)[0]


def node_images(ctx: StepContext) -> list[str]:
    """Distinct node images in config order."""
    return list(dict.fromkeys(node.image for node in ctx.config.nodes))


def _ensure(provider: NodeProvider, image: str, hint: str = "") -> None:
    if provider.image_id(image) is not None:
        return
    try:
        provider.pull_image(image)
    except ImageNotFoundError as exc:
        message = str(exc)
        friendly = friendly_image_name(image)
        if friendly not in message:
            message = (
                f"image {friendly!r} is not present in {provider.name} and could not be "
                f"pulled: {message}"
            )
        raise ImageNotFoundError(message + hint) from exc


def run(ctx: StepContext) -> None:
    for image in node_images(ctx):
        with step(ctx.status, f"Ensuring node image ({friendly_image_name(image)}) 🖼"):
            _ensure(ctx.provider, image)
    if len(ctx.config.control_planes) > 1:
        flavour = load_balancer_flavour(ctx)
        hint = (
            f" (the load balancer image; choose another with {IMAGE_ENV}, "
            f"or {FLAVOUR_ENV}=haproxy|envoy)"
        )
        _ensure(ctx.provider, flavour.image, hint)


STEP = CreateStep(
    name="ensure-images",
    phase=Phase.IMAGES,
    run=run,
    description="make sure node (and load balancer) images are present, pulling them once",
)
