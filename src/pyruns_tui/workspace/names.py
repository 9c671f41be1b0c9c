"""Task names: what is allowed (they become folder names) and how collisions are resolved."""

from __future__ import annotations

import unicodedata
from collections.abc import Container, Sequence

from pyruns_tui.errors import WorkspaceError

MAX_NAME_LENGTH = 200
MAX_NAME_BYTES = 240  # folder names are limited to 255 bytes; leave room for a `_N` suffix


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a task name, or None when it can."""
    if not name:
        return "a task name cannot be empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"a task name has at most {MAX_NAME_LENGTH} characters (this one has {len(name)})"
    size = len(name.encode("utf-8", "surrogateescape"))
    if size > MAX_NAME_BYTES:
        return f"a task name has at most {MAX_NAME_BYTES} bytes in UTF-8 (this one has {size})"
    if "/" in name or "\\" in name:
        return "a task name cannot contain '/' or '\\'"
    if name[0] in ".-":
        return "a task name cannot start with '.' or '-'"
    if name != name.strip():
        return "a task name cannot start or end with whitespace"
    for char in name:
        if unicodedata.category(char) == "Cs":  # undecodable bytes from a non-UTF-8 argv
            return "a task name must be valid UTF-8"
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return f"a task name cannot contain control characters ({char!r})"
    return None


def is_plain_entry(name: str) -> bool:
    """Whether `name` can only mean one visible entry of a folder: not empty, no `/`, `..`,
    NUL or leading dot, at most 255 bytes. Every name that reaches a path is checked with it."""
    return (
        bool(name)
        and not name.startswith(".")
        and "/" not in name
        and "\0" not in name
        and len(name.encode("utf-8", "surrogateescape")) <= 255
    )


def validate_name(name: str) -> str:
    """Return `name` unchanged, or raise WorkspaceError saying why it is not a valid task name."""
    problem = name_problem(name)
    if problem:
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise WorkspaceError(f"invalid task name {shown!r}: {problem}")
    return name


def _suffixed(name: str, n: int) -> str:
    """`name_N`, the base shortened to keep it within MAX_NAME_LENGTH (bytes have room already)."""
    suffix = f"_{n}"
    return name[: MAX_NAME_LENGTH - len(suffix)].rstrip() + suffix


def unique_name(name: str, taken: Container[str]) -> str:
    """`name`, or `name_2`, `name_3`... — the first one not in `taken`. A suffixed name stays
    within MAX_NAME_LENGTH: the base is shortened to make room (bytes have room already)."""
    if name not in taken:
        return name
    n = 2
    while _suffixed(name, n) in taken:
        n += 1
    return _suffixed(name, n)


def unique_names(names: Sequence[str], taken: Container[str]) -> list[str]:
    """`names` (a batch: `exp_1-of-4`...), or all of them with the same first suffix `_N` that
    makes every one free (`exp_1-of-4_2`...), so a batch keeps one naming when some of its names
    are taken; each name alone as `unique_name` when no common suffix is free soon."""
    if len(set(names)) == len(names) and not any(name in taken for name in names):
        return list(names)
    for n in range(2, 1000):
        candidates = [_suffixed(name, n) for name in names]
        if len(set(candidates)) == len(candidates) and not any(name in taken for name in candidates):
            return candidates
    chosen: list[str] = []
    for name in names:
        picked = unique_name(name, _Either(taken, chosen))
        chosen.append(picked)
    return chosen


class _Either:
    """`x in` one container or the other."""

    def __init__(self, first: Container[str], second: Container[str]) -> None:
        self.first, self.second = first, second

    def __contains__(self, item: object) -> bool:
        return item in self.first or item in self.second
