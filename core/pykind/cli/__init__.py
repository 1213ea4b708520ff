"""The ``kind`` / ``pykind`` command line. Only this package prints or exits."""

from __future__ import annotations


def main() -> None:
    """Console-script entry point."""
    raise SystemExit("not implemented yet")
