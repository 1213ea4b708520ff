"""Loading images into nodes (``kind load ...``).

Public API: :func:`pykind.images.load.load_images`, :func:`~pykind.images.load.load_archives`,
:func:`~pykind.images.load.load_any`, :class:`~pykind.images.load.LoadReport`.
"""

from __future__ import annotations

from pykind.images.archive import ArchiveError, ImageArchive, inspect_archive
from pykind.images.load import (
    ImageInfo,
    ImageLoadError,
    ImageSource,
    LoadReport,
    NodeLoadResult,
    load_any,
    load_archives,
    load_images,
    other_engines,
)

__all__ = [
    "ArchiveError",
    "ImageArchive",
    "ImageInfo",
    "ImageLoadError",
    "ImageSource",
    "LoadReport",
    "NodeLoadResult",
    "inspect_archive",
    "load_any",
    "load_archives",
    "load_images",
    "other_engines",
]
