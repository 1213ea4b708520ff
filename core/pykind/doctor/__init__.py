"""``kind doctor``: preflight checks with actionable advice.

::

    from pykind.doctor import run_checks

    for result in run_checks(provider, config="kind.yaml"):
        print(result.symbol, result.message, result.advice)

Checks: the engine answers (and its version), cgroups (v2, delegation for rootless engines),
privileged containers work (a throw-away container from an image already present), the
cluster network can carry IPv6 when asked to, and, when the engine runs on this machine,
inotify limits, kernel modules, IPv6, free disk space where the engine keeps its data and the
config's fixed host ports (free, else which process holds them; rootless engines and ports
below ``net.ipv4.ip_unprivileged_port_start``). The library never prints: the CLI renders the
results and exits 1 when any :attr:`CheckResult.failed`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pykind.doctor import engine, host
from pykind.doctor.ports import wanted_ports
from pykind.doctor.result import ERROR, INFO, WARNING, CheckResult, noted

if TYPE_CHECKING:
    from pykind.config.models import ClusterConfig
    from pykind.runtime.protocols import NodeProvider


def _load(config: ClusterConfig | str | Path | None) -> ClusterConfig | None:
    if config is None:
        return None
    if isinstance(config, (str, Path)):
        from pykind.config.loader import load_config

        return load_config(config).config.with_defaults()
    return config.with_defaults()


def run_checks(
    provider: NodeProvider,
    config: ClusterConfig | str | Path | None = None,
    *,
    privileged: bool = True,
    proc: Path = host.PROC,
    sys_root: Path = host.SYS,
) -> list[CheckResult]:
    """Run every check that applies; results in display order.

    ``config`` (a model or a config file) adds its ports, node images and IP family to the
    checks. ``privileged=False`` skips the probe container. ``proc``/``sys_root`` exist for
    tests.
    """
    cfg = _load(config)
    family = cfg.networking.ip_family.value if cfg is not None else None
    results: list[CheckResult] = []
    reached, info = engine.check_engine(provider)
    results.append(reached)
    if info is not None:
        results.append(engine.check_version(info))
        results.append(engine.check_cgroups(info))
        if privileged:
            from pykind.config.models import DEFAULT_NODE_IMAGE

            images = [n.image for n in cfg.nodes] if cfg is not None else [DEFAULT_NODE_IMAGE]
            results.append(engine.check_privileged(provider, list(dict.fromkeys(images))))
        network = engine.check_network(provider, family)
        if network is not None:
            results.append(network)
    if info is not None and not engine.is_local(info):
        results.append(
            noted("host", f"the engine runs elsewhere ({info.endpoint}): host checks skipped")
        )
        return results
    if info is not None and info.rootless and info.cgroup2:
        results.append(host.check_rootless_delegation(sys_root=sys_root))
    results.append(host.check_inotify(proc))
    results.append(host.check_kernel_modules(sys_root, proc))
    results.append(host.check_ipv6(family, proc))
    if info is not None:
        results.append(host.check_disk(engine.data_root(provider)))
    if cfg is not None:
        rootless = info.rootless if info is not None else False
        results += host.check_ports(wanted_ports(cfg), rootless=rootless, proc=proc)
    return results


def any_failed(results: list[CheckResult]) -> bool:
    return any(r.failed for r in results)


__all__ = ["ERROR", "INFO", "WARNING", "CheckResult", "any_failed", "run_checks"]
