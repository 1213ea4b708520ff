"""The external load balancer in front of several control planes.

Two flavours: ``envoy`` (upstream's default) and ``haproxy`` (upstream's former one), chosen
with ``PYKIND_LOADBALANCER``; ``PYKIND_LOADBALANCER_IMAGE`` overrides the image. Providers ask
:func:`container_command` how to start the container (``plan.extra["loadbalancer"]`` names the
flavour); the load balancer create step calls :meth:`LoadBalancerFlavour.configure`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pykind.cluster.nodes import write_file
from pykind.errors import ConfigError
from pykind.loadbalancer import envoy, haproxy
from pykind.runtime.protocols import Node

FLAVOUR_ENV = "PYKIND_LOADBALANCER"
IMAGE_ENV = "PYKIND_LOADBALANCER_IMAGE"
#: Key of ``ProvisionPlan.extra`` that names the flavour for the provider.
PLAN_KEY = "loadbalancer"
DEFAULT_FLAVOUR = "envoy"


def _configure_envoy(node: Node, backends: Mapping[str, str], *, port: int, ipv6: bool) -> None:
    cds_tmp, lds_tmp = envoy.CDS_PATH + ".tmp", envoy.LDS_PATH + ".tmp"
    write_file(node, cds_tmp, envoy.render_cds(backends, ipv6=ipv6))
    write_file(node, lds_tmp, envoy.render_lds(port=port, ipv6=ipv6))
    # envoy reloads a resource file only when it is replaced: rename, clusters first.
    node.run(["chmod", "666", cds_tmp, lds_tmp])
    node.run(["mv", cds_tmp, envoy.CDS_PATH])
    node.run(["mv", lds_tmp, envoy.LDS_PATH])


def _configure_haproxy(node: Node, backends: Mapping[str, str], *, port: int, ipv6: bool) -> None:
    limits = node.run(["cat", "/proc/1/limits"], check=False)
    nofile = haproxy.parse_nofile_limit(limits.text) if limits.returncode == 0 else None
    config = haproxy.render(backends, port=port, ipv6=ipv6, maxconn=haproxy.maxconn_for(nofile))
    write_file(node, haproxy.CONFIG_PATH, config)
    node.run(list(haproxy.RELOAD_ARGV))


Configure = Callable[..., None]


@dataclass(frozen=True)
class LoadBalancerFlavour:
    """One kind of load balancer: its image and how to (re)configure a running one."""

    name: str
    image: str
    _configure: Configure

    def configure(
        self, node: Node, backends: Mapping[str, str], *, port: int = 6443, ipv6: bool = False
    ) -> None:
        """Point the load balancer in ``node`` at ``backends`` (name -> host:port) and make
        the running process use the new config."""
        self._configure(node, backends, port=port, ipv6=ipv6)


_FLAVOURS: dict[str, tuple[str, Configure]] = {
    "envoy": (envoy.IMAGE, _configure_envoy),
    "haproxy": (haproxy.IMAGE, _configure_haproxy),
}


def selected(env: Mapping[str, str] | None = None) -> LoadBalancerFlavour:
    """The flavour chosen by ``PYKIND_LOADBALANCER`` (default envoy) with its image
    (``PYKIND_LOADBALANCER_IMAGE`` or the flavour's default)."""
    env = os.environ if env is None else env
    name = (env.get(FLAVOUR_ENV) or DEFAULT_FLAVOUR).strip().lower()
    if name not in _FLAVOURS:
        choices = ", ".join(sorted(_FLAVOURS))
        raise ConfigError(
            f"unknown load balancer {name!r}; choose one of: {choices}", field=FLAVOUR_ENV
        )
    default_image, configure = _FLAVOURS[name]
    image = (env.get(IMAGE_ENV) or "").strip() or default_image
    return LoadBalancerFlavour(name=name, image=image, _configure=configure)


def container_command(flavour: str | None, cluster: str, container_name: str) -> list[str] | None:
    """The command the load balancer container must run, or None to keep the image's own
    (haproxy images start haproxy themselves)."""
    if (flavour or DEFAULT_FLAVOUR) == "envoy":
        return envoy.container_command(cluster, container_name)
    return None


__all__ = [
    "DEFAULT_FLAVOUR",
    "FLAVOUR_ENV",
    "IMAGE_ENV",
    "PLAN_KEY",
    "LoadBalancerFlavour",
    "container_command",
    "selected",
]
