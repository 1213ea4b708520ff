"""``bench/run --profile``: where CLI start-up time goes.

- import time per module (``python -X importtime``, the minimum over several runs, so noise
  from other processes mostly drops out) for ``kind --help``, ``kind get clusters`` (fast
  path), the full CLI's ``get clusters`` and ``kind delete cluster`` of an absent cluster;
- the functions that take longest (``cProfile``, cumulative) in that ``delete cluster``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

from bench.stats import render_table

#: What the profiled process runs: the console entry point with ``sys.argv`` set.
_RUN = (
    "import sys; sys.argv = ['kind', *{args!r}]\n"
    "from pykind.cli import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
)
_PROFILE = (
    "import cProfile, pstats, sys\n"
    "sys.argv = ['kind', *{args!r}]\n"
    "from pykind.cli import main\n"
    "profile = cProfile.Profile()\n"
    "profile.enable()\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    "profile.disable()\n"
    "stats = pstats.Stats(profile, stream=sys.stderr)\n"
    "stats.sort_stats('cumulative').print_stats({limit})\n"
)

COMMANDS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "kind --help": (("--help",), {}),
    "kind get clusters": (("get", "clusters"), {}),
    "kind get clusters (full CLI)": (("get", "clusters"), {"PYKIND_NO_FAST_PATH": "1"}),
    "kind delete cluster": (("delete", "cluster", "--name", "pykind-bench-absent"), {}),
}


def _env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIND_", "PYKIND_"))}
    env["KUBECONFIG"] = os.devnull
    env.update(extra)
    return env


def import_times(
    python: str, args: Sequence[str], extra_env: Mapping[str, str], runs: int = 5
) -> dict[str, tuple[float, float]]:
    """module -> (self ms, cumulative ms), each the minimum over ``runs`` runs."""
    best: dict[str, tuple[float, float]] = {}
    code = _RUN.format(args=list(args))
    for _ in range(runs):
        proc = subprocess.run(
            [python, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            env=_env(extra_env),
            check=False,
        )
        for line in proc.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            fields = line[len("import time:") :].split("|")
            if len(fields) != 3:
                continue
            own, cumulative, name = int(fields[0]), int(fields[1]), fields[2].strip()
            old = best.get(name)
            value = (own / 1000, cumulative / 1000)
            best[name] = value if old is None else (min(old[0], value[0]), min(old[1], value[1]))
    return best


def top_level(times: Mapping[str, tuple[float, float]], count: int) -> list[tuple[str, float]]:
    """The biggest top-level packages by cumulative time (``docker``, ``pydantic``, ...)."""
    totals: dict[str, float] = {}
    for name, (_, cumulative) in times.items():
        if "." not in name:
            totals[name] = max(totals.get(name, 0.0), cumulative)
    for name, (_, cumulative) in times.items():
        if name.startswith("pykind.") and name.count(".") == 1:
            totals[name] = max(totals.get(name, 0.0), cumulative)
    return sorted(totals.items(), key=lambda kv: -kv[1])[:count]


def cprofile(python: str, args: Sequence[str], limit: int = 25) -> str:
    proc = subprocess.run(
        [python, "-c", _PROFILE.format(args=list(args), limit=limit)],
        capture_output=True,
        text=True,
        env=_env({}),
        check=False,
    )
    lines = [
        _short_paths(line)
        for line in proc.stderr.splitlines()
        if line.strip() and "{built-in" not in line and "<frozen" not in line
    ]
    return "\n".join(lines)


def _short_paths(line: str) -> str:
    """File names relative to the checkout, site-packages or the standard library."""
    import sysconfig

    from bench.engines import ROOT

    for prefix, short in (
        (sysconfig.get_paths()["purelib"], "site-packages"),
        (sysconfig.get_paths()["stdlib"], "stdlib"),
        (str(ROOT), "."),
    ):
        line = line.replace(prefix + "/", short + "/")
    return line


def main(python: str = sys.executable) -> str:
    out = ["### Import time (ms, minimum of 5 runs; cumulative per top-level module)", ""]
    rows = []
    for label, (args, env) in COMMANDS.items():
        times = import_times(python, args, env)
        total = sum(own for own, _ in times.values())
        biggest = ", ".join(f"{name} {ms:.0f}" for name, ms in top_level(times, 8))
        rows.append([label, f"{total:.0f}", str(len(times)), biggest])
    out.append(render_table(["command", "imports ms", "modules", "largest (cumulative ms)"], rows))
    out += ["", "### cProfile of `kind delete cluster` (absent cluster), cumulative", "", "```"]
    out.append(cprofile(python, COMMANDS["kind delete cluster"][0]))
    out.append("```")
    return "\n".join(out) + "\n"
