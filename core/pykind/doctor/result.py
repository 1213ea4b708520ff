"""The outcome of one doctor check."""

from __future__ import annotations

from dataclasses import dataclass

#: The check failed: a cluster cannot be created (or will not work) until it is fixed.
ERROR = "error"
#: Something is likely to bite later (pods failing, slow clusters); creation may still work.
WARNING = "warning"
#: Nothing to judge (not applicable here, or skipped); shown for information.
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class CheckResult:
    """One line of ``kind doctor``: ``name``, whether it passed, how bad a failure is, what
    was found and how to fix it."""

    name: str
    ok: bool
    severity: str = ERROR
    message: str = ""
    advice: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    @property
    def failed(self) -> bool:
        """A failed check of severity ``error`` (``kind doctor`` then exits 1)."""
        return not self.ok and self.severity == ERROR

    @property
    def symbol(self) -> str:
        """``✓`` passed, ``✗`` failed, ``!`` warning or information."""
        if self.ok and self.severity != INFO:
            return "✓"
        return "✗" if self.failed else "!"


def passed(name: str, message: str) -> CheckResult:
    return CheckResult(name, True, ERROR, message)


def failed(name: str, message: str, advice: str = "") -> CheckResult:
    return CheckResult(name, False, ERROR, message, advice)


def warned(name: str, message: str, advice: str = "") -> CheckResult:
    return CheckResult(name, False, WARNING, message, advice)


def noted(name: str, message: str, advice: str = "") -> CheckResult:
    return CheckResult(name, True, INFO, message, advice)
