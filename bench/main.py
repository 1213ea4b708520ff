"""``bench/run``: measure pykind against the engine CLIs on this machine, in one run.

    bench/run                              # docker and podman, 3 repetitions
    bench/run --engines docker --quick     # fewer repetitions, smaller images
    bench/run --only cli,provision --reps 5
    bench/run --report bench/results/<file>.json   # re-print a saved run
    bench/run --profile                    # import times and a cProfile of the CLI

Prints the result tables and writes ``bench/results/<UTC time>.json`` (raw samples too).
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import functools
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import cli_latency, create_e2e, image_load, provisioning, report
from bench.context import Context
from bench.engines import ROOT, Engine, engine_versions
from bench.procs import load_average
from bench.stats import Metric

SCENARIOS = ("cli", "provision", "load", "create")
RESULTS_DIR = ROOT / "bench" / "results"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default="docker,podman", help="comma-separated engines")
    parser.add_argument("--quick", action="store_true", help="1 repetition, small images")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 3; quick 1)")
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help=f"comma-separated scenarios among {', '.join(SCENARIOS)} (provision includes delete)",
    )
    parser.add_argument("--no-steps", action="store_true", help="skip the create step profile")
    parser.add_argument("--output", type=Path, default=None, help="JSON file to write")
    parser.add_argument("--report", type=Path, default=None, help="re-print a saved JSON run")
    parser.add_argument(
        "--profile", action="store_true", help="print where CLI start-up time goes, and exit"
    )
    args = parser.parse_args(argv)
    if args.reps is None:
        args.reps = 1 if args.quick else 3
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in args.engines if e not in ("docker", "podman")]
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(unknown)}")
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    bad = [s for s in args.only if s not in SCENARIOS]
    if bad:
        parser.error(f"unknown scenario(s): {', '.join(bad)}")
    return args


def find_kind() -> str:
    """The ``kind`` console script of the interpreter running the bench."""
    here = Path(sys.executable).parent / "kind"
    if here.exists():
        return str(here)
    found = shutil.which("kind")
    if found is None:
        raise SystemExit("bench: no `kind` executable next to this Python or on PATH")
    return found


def precompile() -> None:
    """Write pykind's bytecode caches, as a package install does (PYTHONDONTWRITEBYTECODE
    would otherwise make every measured start compile the sources)."""
    import pykind
    import pykind_docker
    import pykind_podman

    for module in (pykind, pykind_docker, pykind_podman):
        folder = Path(module.__file__ or "").parent
        compileall.compile_dir(str(folder), quiet=1)


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def machine_meta(args: argparse.Namespace, engines: Sequence[Engine]) -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "cpus": os.cpu_count(),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "engines": engine_versions(engines),
        "load": {"start": load_average()},
        "reps": args.reps,
        "quick": args.quick,
        "inner": 5 if args.quick else 10,
        "scenarios": args.only,
        "argv": sys.argv[1:],
    }


def run_scenarios(args: argparse.Namespace, engines: Sequence[Engine]) -> list[Metric]:
    kind = find_kind()
    metrics: list[Metric] = []
    workdir = Path(tempfile.mkdtemp(prefix="pykind-bench-"))
    for index, engine in enumerate(engines):
        ctx = Context(
            engine=engine,
            reps=args.reps,
            quick=args.quick,
            kind=kind,
            python=sys.executable,
            inner=5 if args.quick else 10,
            workdir=workdir,
        )
        plan: list[tuple[str, Callable[[], None]]] = []
        if "cli" in args.only:
            if index == 0:
                plan.append(("cli --help", functools.partial(cli_latency.measure_help, ctx)))
            plan.append(("cli", functools.partial(cli_latency.measure, ctx)))
        if "provision" in args.only:
            counts = (1, 3) if args.quick else provisioning.NODE_COUNTS
            plan.append(("provision", functools.partial(provisioning.measure, ctx, counts)))
        if "load" in args.only:
            plan.append(("load", functools.partial(image_load.measure, ctx)))
        if "create" in args.only:
            steps = not args.no_steps
            plan.append(("create", functools.partial(create_e2e.measure, ctx, steps=steps)))
        try:
            ctx.log("building or reusing the test images")
            engine.prepare_images()
            for name, step in plan:
                try:
                    step()
                except Exception as exc:
                    ctx.log(f"scenario {name} failed: {exc}")
                    traceback.print_exc()
                    ctx.metrics.append(
                        Metric(name, engine.name, f"FAILED: {exc}", "s", extra={"failed": True})
                    )
        finally:
            try:
                removed = engine.cleanup()
            except Exception as exc:
                ctx.log(f"clean-up failed: {exc}")
            else:
                if removed:
                    ctx.log(f"cleaned up {len(removed)} leftover container(s)")
        metrics.extend(ctx.metrics)
    shutil.rmtree(workdir, ignore_errors=True)
    return metrics


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.profile:
        from bench import profile

        precompile()
        print(profile.main())
        return 0
    if args.report is not None:
        meta, metrics = report.load_json(args.report)
        print(report.render(meta, metrics))
        return 0
    prefix = f"pkb{secrets.token_hex(2)}"
    engines = []
    for name in args.engines:
        engine = Engine(name=name, prefix=prefix)
        problem = engine.available()
        if problem is not None:
            print(f"bench: {name} is not available: {problem}", file=sys.stderr)
            return 1
        engines.append(engine)
    precompile()
    meta = machine_meta(args, engines)
    print(f"bench: run {prefix}, load average {meta['load']['start']}", file=sys.stderr)
    try:
        metrics = run_scenarios(args, engines)
    except KeyboardInterrupt:
        for engine in engines:
            engine.cleanup()
        raise
    meta["load"]["end"] = load_average()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = args.output or RESULTS_DIR / f"{stamp}.json"
    report.write_json(path, meta, metrics)
    print(report.render(meta, metrics))
    print(f"results: {path}", file=sys.stderr)
    return 1 if any(m.extra.get("failed") for m in metrics) else 0
