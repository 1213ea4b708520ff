"""Registers the docker node provider (an entry point, like any third-party plugin)."""
