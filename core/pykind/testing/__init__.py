"""Test doubles for pykind and its plugins: an in-memory provider and pytest fixtures.

``pykind.testing.fakes`` has :class:`FakeProvider` and :class:`FakeNode`;
``pykind.testing.fixtures`` is a pytest plugin (``pytest_plugins = ["pykind.testing.fixtures"]``).
"""

from __future__ import annotations

from pykind.testing.fakes import FakeNode, FakeProvider, RecordedCall

__all__ = ["FakeNode", "FakeProvider", "RecordedCall"]
