"""Unit tests of the test-image build script (no container engine needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.images import build


def test_content_hash_changes_with_content_and_exec_bit(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("echo hi\n")
    first = build.content_hash(tmp_path)
    assert build.content_hash(tmp_path) == first
    script.write_text("echo ho\n")
    second = build.content_hash(tmp_path)
    assert second != first
    os.chmod(script, 0o755)
    assert build.content_hash(tmp_path) != second


def test_content_hash_ignores_pycache(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm\n")
    before = build.content_hash(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert build.content_hash(tmp_path) == before


def test_image_tag_is_content_addressed() -> None:
    tag = build.image_tag("node")
    repo, _, digest = tag.partition(":")
    assert repo == "pykind-test/node"
    assert digest == build.content_hash(build.IMAGES_DIR / "node")[:12]


def test_every_image_folder_is_known() -> None:
    folders = {p.name for p in build.IMAGES_DIR.iterdir() if (p / "Dockerfile").is_file()}
    assert folders == set(build.IMAGE_NAMES)


def test_unknown_image_and_engine_are_clear_errors() -> None:
    with pytest.raises(build.ImageBuildError, match="no test image named 'nope'"):
        build.image_tag("nope")
    with pytest.raises(build.ImageBuildError, match="unknown engine 'rkt'"):
        build.build_image("rkt", "node")


def test_failed_command_reports_output_tail() -> None:
    with pytest.raises(build.ImageBuildError, match=r"(?s)exit 3.*line-9"):
        build._run(
            ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9; do echo line-$i; done; exit 3"], "demo", 60
        )
