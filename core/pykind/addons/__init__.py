"""Add-ons: things installed into a cluster after it is up (ingress controllers, a registry).

Add-ons are plugins (``AddonSpec`` from ``pykind_addons``); users choose them with
``--addon NAME[:key=value,...]`` or an add-ons file, never with new fields in the upstream config.

Flow: :func:`resolve_selection` validates the choices, :func:`prepare_config` lets each add-on
change the config before provisioning, and the pipeline's ``addons`` step calls
:func:`install_selected`. :func:`install_addon` / :func:`remove_addon` work on existing clusters.
"""

from __future__ import annotations

from pykind.addons.addons_file import load_addons_file, parse_addons_file
from pykind.addons.catalog import AddonInfo, addon_schema, list_addons
from pykind.addons.install import install_addon, install_one, install_selected, remove_addon
from pykind.addons.options import (
    AddonOptionsError,
    merge_selections,
    parse_addon_arg,
    parse_addon_args,
    resolve_selection,
    validate_options,
)
from pykind.addons.prepare import prepare_config

__all__ = [
    "AddonInfo",
    "AddonOptionsError",
    "addon_schema",
    "install_addon",
    "install_one",
    "install_selected",
    "list_addons",
    "load_addons_file",
    "merge_selections",
    "parse_addon_arg",
    "parse_addon_args",
    "parse_addons_file",
    "prepare_config",
    "remove_addon",
    "resolve_selection",
    "validate_options",
]
