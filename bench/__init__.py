"""Benchmarks of pykind against the engine CLIs (see bench/README.md); not part of the tests."""
