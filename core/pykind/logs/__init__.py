"""``kind export logs``: :func:`pykind.logs.collect.collect_logs` and
:func:`~pykind.logs.collect.export_logs` (which also returns what failed)."""

from __future__ import annotations

from pykind.logs.collect import LogItem, LogsReport, collect_logs, export_logs

__all__ = ["LogItem", "LogsReport", "collect_logs", "export_logs"]
