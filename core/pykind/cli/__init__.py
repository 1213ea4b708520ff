"""The ``kind`` / ``pykind`` command line. Only this package prints or exits.

Start-up stays fast: this package imports click and nothing heavy; each subcommand's module
is imported when it runs, and the library (pydantic, engine SDKs, plugins) only when a
command needs it. ``kind version`` and ``kind get clusters`` usually skip even click
(:mod:`pykind.cli.fast`).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: run the CLI and exit with its status."""
    import os
    import sys

    if argv is None and "pykind.cli.state" not in sys.modules:
        # A plain process start (nobody customised the CLI's internals before calling us).
        from pykind.cli.fast import run_fast

        code = run_fast(sys.argv[1:])
        if code is not None:
            sys.exit(code)

    from pykind.cli.app import build_cli

    prog_name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "kind"
    if prog_name in ("__main__.py", "-c", "-m") or not prog_name:
        prog_name = "kind"
    build_cli().main(argv, prog_name=prog_name)
