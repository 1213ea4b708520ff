"""Registers the podman node provider (an entry point, like any third-party plugin)."""
