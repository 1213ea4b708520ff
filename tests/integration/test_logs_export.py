"""``kind export logs`` against real engines, on a healthy and then a half-broken cluster."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pykind.errors import ClusterNotFoundError
from pykind.logs import collect_logs, export_logs
from pykind.status import RecordingStatus
from tests.images.build import build_image
from tests.integration.test_load_images import (
    ENGINES,
    kube_nodes,
    make_provider,
    provisioned,
    require_engine,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.parametrize("engine", ENGINES)
def test_export_logs_layout_permissions_and_partial_failure(engine: str, tmp_path: Path) -> None:
    require_engine(engine)
    provider = make_provider(engine)
    with provisioned(provider, build_image(engine, "node"), workers=1) as name:
        dest = collect_logs(provider, name, tmp_path / "logs")
        assert (dest / "kind-version.txt").is_file()
        assert (dest / f"{engine}-info.txt").is_file()
        for node in kube_nodes(provider, name):
            folder = dest / node.name
            assert (folder / "kubernetes-version.txt").read_text().strip() == "v1.36.1"
            assert (folder / "serial.log").stat().st_size > 0
            assert "systemd" in (folder / "journal.log").read_text(errors="replace").lower()
            assert (folder / "containerd.log").is_file()
            assert (folder / "kubelet.log").is_file()
            assert (folder / "images.log").is_file()
            assert (folder / "inspect.json").read_text().lstrip().startswith(("[", "{"))
            assert (folder / "journal").is_dir() or any(folder.iterdir())  # the /var/log tree
        for path in [dest, *dest.rglob("*")]:
            if path.is_symlink():
                continue
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"

        # half-broken: the worker stops; what can be collected still is
        worker = kube_nodes(provider, name)[1]
        client = provider.client  # type: ignore[attr-defined]
        client.containers.get(worker.name).stop(timeout=5)
        status = RecordingStatus()
        report = export_logs(provider, name, tmp_path / "broken", status=status)
        failed = {i.what for i in report.failures}
        assert f"{worker.name}: journal.log" in failed
        assert not any(w.startswith(f"{name}-control-plane:") for w in failed)
        assert (report.path / f"{name}-control-plane" / "journal.log").stat().st_size > 0
        assert (report.path / worker.name / "serial.log").is_file()
        summary = (report.path / "summary.txt").read_text()
        assert f"{worker.name}: journal.log" in summary
        assert any("could not collect" in m for _, m in status.events)

    with pytest.raises(ClusterNotFoundError):
        collect_logs(provider, name, tmp_path / "gone")
