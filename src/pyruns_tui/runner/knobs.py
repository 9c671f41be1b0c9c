"""Timings that tests shorten through the environment (`PYRUNS_TUI_..._S`): read one way."""

from __future__ import annotations

from collections.abc import Mapping


def positive_seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    """The positive number of seconds in `environ[name]`, else `default` (unset, not a number, or
    not above 0)."""
    try:
        value = float(environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default
