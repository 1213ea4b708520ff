"""``kind doctor``: preflight checks, one line per check, exit 1 when any check fails."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

import click

from pykind.cli.errors import CommandError
from pykind.cli.options import CONTEXT_SETTINGS, global_options, provider_option
from pykind.cli.state import get_state


def render(results: list[Any], *, color: bool = False) -> list[str]:
    """``✓ message`` / ``✗ message`` / ``! message`` lines, advice indented below."""
    colors = {"✓": "green", "✗": "red", "!": "yellow"}
    lines = []
    for result in results:
        mark = result.symbol
        shown = click.style(mark, fg=colors[mark]) if color else mark
        lines.append(f"{shown} {result.message}")
        if result.advice and not (result.ok and result.severity != "info"):
            lines.append(f"    → {result.advice}")
    return lines


@click.command("doctor", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--config",
    default=None,
    metavar="PATH",
    help="a kind config file: also check its host ports, node images and IP family",
)
@click.option(
    "--no-privileged",
    "skip_privileged",
    is_flag=True,
    help="skip the probe container that checks privileged containers work",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="one line per check (text) or a JSON list of checks",
)
@provider_option
@global_options
def doctor(config: str | None, skip_privileged: bool, output: str, provider: str | None) -> None:
    """Checks this machine can run kind clusters

    Checks the container engine (reachable, version, cgroups, privileged containers) and,
    when it runs here, inotify limits, kernel modules, IPv6, free disk space and the host
    ports a --config publishes. Prints advice for every problem; exits 1 when a check fails.
    """
    from pykind.doctor import any_failed, run_checks
    from pykind.doctor.result import CheckResult, failed
    from pykind.errors import PykindError

    state = get_state()
    state.setup()
    results: list[CheckResult]
    try:
        engine = state.manager(provider, validate=False).provider
    except PykindError as exc:
        results = [
            failed("engine", f"no usable node provider: {exc}", "install or start docker or podman")
        ]
    else:
        try:
            results = run_checks(engine, config, privileged=not skip_privileged)
        except PykindError as exc:  # e.g. an invalid --config
            raise CommandError("failed to run the checks", exc) from exc
    if output == "json":
        click.echo(json.dumps([asdict(r) | {"symbol": r.symbol} for r in results], indent=2))
    else:
        for line in render(results, color=sys.stdout.isatty()):
            click.echo(line)
    if any_failed(results):
        click.get_current_context().exit(1)
