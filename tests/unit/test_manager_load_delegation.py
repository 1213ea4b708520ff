"""ClusterManager.load_images/load_archives call pykind.images with its signature
(provider, cluster, items, *, nodes, status)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from pykind.cluster.manager import ClusterManager
from pykind.status import RecordingStatus


def test_load_calls_use_the_images_api(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    fake = types.ModuleType("pykind.images")

    def recorder(kind: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> str:
            calls.append((kind, args, kwargs))
            return "report"

        return call

    fake.load_images = recorder("images")  # type: ignore[attr-defined]
    fake.load_archives = recorder("archives")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pykind.images", fake)
    provider = object()
    status = RecordingStatus()
    manager = ClusterManager(provider, status=status)  # type: ignore[arg-type]
    assert manager.load_images(iter(["a:1", "b:2"]), name="c1", nodes=["n1"]) == "report"
    assert manager.load_archives(["x.tar"], name="c2") == "report"
    assert calls == [
        ("images", (provider, "c1", ["a:1", "b:2"]), {"nodes": ["n1"], "status": status}),
        ("archives", (provider, "c2", [Path("x.tar")]), {"nodes": None, "status": status}),
    ]
