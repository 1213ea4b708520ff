"""Building blocks for add-ons that apply a pinned upstream manifest (ingress-nginx, contour).

A :class:`ManifestAddon` knows the manifest URL template and the checksums pinned per version;
options derive from :class:`ManifestOptions` (``version``, ``manifest``, ``sha256``, ``timeout``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pykind.addons.kubectl import (
    apply_manifest,
    control_plane_node,
    delete_manifest,
    manifest_images,
)
from pykind.addons.manifests import Fetcher, Manifest, normalise_sha256, resolve_manifest
from pykind.cluster.context import StepContext
from pykind.config.models import ClusterConfig
from pykind.plugin.types import AddonSpec

_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ManifestOptions(BaseModel):
    """Options every manifest add-on takes. Subclasses set ``PINS`` and a ``version`` default."""

    model_config = ConfigDict(extra="forbid")

    #: version -> sha256 of its manifest; None when the checksum is not pinned yet.
    PINS: ClassVar[Mapping[str, str | None]] = {}

    version: str = Field(description="Upstream release whose manifest is applied")
    manifest: Path | None = Field(
        None, description="Local copy of the manifest to apply instead of downloading it"
    )
    sha256: str | None = Field(
        None, description="Expected sha256 of the manifest (overrides the pinned checksum)"
    )
    timeout: float = Field(90.0, gt=0, description="Seconds to wait for the add-on to be ready")

    @field_validator("version")
    @classmethod
    def _check_version(cls, value: str) -> str:
        if not _VERSION_RE.match(value):
            raise ValueError("expected a release tag such as v1.2.3 (letters, digits, . _ -)")
        return value

    @field_validator("sha256")
    @classmethod
    def _check_sha(cls, value: str | None) -> str | None:
        return None if value is None else normalise_sha256(value)

    @model_validator(mode="after")
    def _checksum_known(self) -> ManifestOptions:
        if self.manifest is None and self.expected_sha256() is None:
            pinned = ", ".join(v for v, s in self.PINS.items() if s) or "none"
            raise ValueError(
                f"no sha256 is pinned for version {self.version} (pinned: {pinned}); "
                "pass sha256=<checksum of the manifest> or manifest=PATH (a local copy)"
            )
        return self

    def expected_sha256(self) -> str | None:
        """The user's checksum, else the one pinned for ``version``."""
        return self.sha256 or self.PINS.get(self.version)


@dataclass(frozen=True)
class ManifestAddon:
    """An add-on that applies one manifest with kubectl and waits for it."""

    name: str
    #: ``str.format`` template with ``{version}``.
    url_template: str
    options_model: type[ManifestOptions]
    description: str = ""
    prepare: Callable[[ClusterConfig, Any], ClusterConfig] | None = None
    #: Run after ``kubectl apply`` on the control-plane node (e.g. kind-specific patches).
    after_apply: Callable[[StepContext, Any], None] | None = None
    ready: Callable[[StepContext, Any], None] | None = None
    conflicts: tuple[str, ...] = ()
    #: Cache folder (None: the default) and downloader, replaceable in tests.
    cache_dir: Path | None = None
    fetch: Fetcher | None = None
    _seen: dict[tuple[str, str | None], Manifest] = field(
        default_factory=dict, compare=False, repr=False
    )

    def url(self, options: ManifestOptions) -> str:
        return self.url_template.format(version=options.version)

    def manifest(self, options: ManifestOptions) -> Manifest:
        """The verified manifest for ``options``. Downloads are remembered per process (they
        are content-addressed); local files are read each time (they may change)."""
        url, sha256 = self.url(options), options.expected_sha256()
        if options.manifest is not None:
            return resolve_manifest(url=url, sha256=sha256, path=options.manifest)
        found = self._seen.get((url, sha256))
        if found is None:
            found = resolve_manifest(
                url=url, sha256=sha256, cache_dir=self.cache_dir, fetch=self.fetch
            )
            self._seen[(url, sha256)] = found
        return found

    def images(self, options: ManifestOptions) -> Sequence[str]:
        return manifest_images(self.manifest(options).data)

    def install(self, ctx: StepContext, options: ManifestOptions) -> None:
        node = control_plane_node(ctx.nodes())
        apply_manifest(node, self.manifest(options).data)
        if self.after_apply is not None:
            self.after_apply(ctx, options)

    def remove(self, ctx: StepContext, options: ManifestOptions) -> None:
        node = control_plane_node(ctx.nodes())
        delete_manifest(node, self.manifest(options).data)

    def spec(self) -> AddonSpec:
        """The registration for ``pykind_addons``."""
        return AddonSpec(
            name=self.name,
            install=self.install,
            options_model=self.options_model,
            description=self.description,
            images=self.images,
            prepare=self.prepare,
            ready=self.ready,
            remove=self.remove,
            conflicts=self.conflicts,
        )
