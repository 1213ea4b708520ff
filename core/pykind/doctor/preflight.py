"""Create step ``preflight``: fail before any container exists when a fixed host port of the
config cannot be published (already in use, naming the process holding it; or below
``net.ipv4.ip_unprivileged_port_start`` for a rootless engine).

Registered as a built-in plugin (``BUILTIN_PLUGINS``); remove it with
``--disable-plugin pykind.doctor.preflight``. The engine's reachability is checked by
``create`` itself before any step runs. Ports are only checked when the engine runs on this
machine.
"""

from __future__ import annotations

from collections.abc import Iterable

from pykind.cluster.context import StepContext
from pykind.doctor import engine, host
from pykind.doctor.ports import wanted_ports
from pykind.errors import ConfigError
from pykind.plugin import hookimpl
from pykind.plugin.types import CreateStep, Phase


def run(ctx: StepContext) -> None:
    wanted = wanted_ports(ctx.config)
    if not wanted:
        return
    info = ctx.provider.info()
    if not engine.is_local(info):
        return
    problems = []
    for want in wanted:
        problem = host.port_problem(want, rootless=info.rootless)
        if problem is not None:
            problems.append((want, problem))
    if not problems:
        return
    first, (message, advice) = problems[0]
    lines = [f"{message}; {advice}"]
    lines += [f"{w.field}: {m}; {a}" for w, (m, a) in problems[1:]]
    raise ConfigError("\n".join(lines), field=first.field)


STEP = CreateStep(
    name="preflight",
    phase=Phase.PREFLIGHT,
    run=run,
    description="fail early when a fixed host port of the config cannot be published",
)


@hookimpl
def pykind_create_steps() -> Iterable[CreateStep]:
    return [STEP]
