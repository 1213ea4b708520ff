"""The ``kind`` / ``pykind`` command line. Only this package prints or exits.

Start-up stays fast: this package imports click and nothing heavy; each subcommand's module
is imported when it runs, and the library (pydantic, engine SDKs, plugins) only when a
command needs it.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: run the CLI and exit with its status."""
    import os
    import sys

    from pykind.cli.app import build_cli

    prog_name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "kind"
    if prog_name in ("__main__.py", "-c", "-m") or not prog_name:
        prog_name = "kind"
    build_cli().main(argv, prog_name=prog_name)
