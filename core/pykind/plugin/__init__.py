"""pykind's plugin API. Plugins are found through the ``pykind`` entry-point group::

    [project.entry-points.pykind]
    metallb = "pykind_metallb.plugin"

and implement hooks from :mod:`pykind.plugin.hookspecs` with :data:`hookimpl`::

    import pykind

    @pykind.hookimpl
    def pykind_addons():
        yield pykind.AddonSpec(name="metallb", install=install)
"""

from __future__ import annotations

import pluggy

NAME = "pykind"
hookimpl = pluggy.HookimplMarker(NAME)
hookspec = pluggy.HookspecMarker(NAME)

__all__ = ["NAME", "hookimpl", "hookspec"]
