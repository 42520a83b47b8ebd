"""What every source module shares: one-line reasons (labels come from tasks/core/redaction)."""

from __future__ import annotations


def one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
