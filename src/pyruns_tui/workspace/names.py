"""Task names: what is allowed (they become folder names) and how collisions are resolved."""

from __future__ import annotations

import unicodedata
from collections.abc import Container, Sequence

from pyruns_tui.errors import WorkspaceError

MAX_NAME_LENGTH = 200
MAX_NAME_BYTES = 240  # folder names are limited to 255 bytes; leave room for a `_N` suffix


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a new task's name, or None when it can: the one rule for every name
    a task is given (`gen --name`, the Generator's name prefix)."""
    return _name_problem(name, inner_whitespace=False)


def kept_name_problem(name: str) -> str | None:
    """Why `name` cannot be the name of a task a workspace already holds, or None: as
    `name_problem`, but whitespace inside it is let be. Names like `my run_1-of-2` were given
    before whitespace was refused: such a task stays as it is (listed, run, restored by name)."""
    return _name_problem(name, inner_whitespace=True)


def _name_problem(name: str, *, inner_whitespace: bool) -> str | None:
    if (name.isascii() and name.isprintable() and " " not in name and 0 < len(name) <= MAX_NAME_LENGTH
            and name[0] not in ".-" and "/" not in name and "\\" not in name):
        # the common name (`exp_12-of-10000`) in C-speed tests, the rules below in short: printable
        # ASCII has no control, format or surrogate character, its only whitespace is the space,
        # and its bytes are its characters (`gen` checks each of 10,000 names twice: ~12 us -> 1 us)
        return None
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
    for char in name:
        if unicodedata.category(char) == "Cs":  # undecodable bytes from a non-UTF-8 argv
            return "a task name must be valid UTF-8"
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return f"a task name cannot contain control characters ({char!r})"
    if name != name.strip() or (not inner_whitespace and any(char.isspace() for char in name)):
        return _whitespace_problem(name)
    return None


def _whitespace_problem(name: str) -> str:
    """Whitespace refused, with the name to use instead (`my run` -> `my_run`) when there is one:
    refused rather than replaced, so a task is never named other than as typed."""
    problem = "a task name cannot contain whitespace (commands would need quotes around it)"
    instead = "_".join(name.split())
    if instead and _name_problem(instead, inner_whitespace=False) is None:
        return f"{problem}: use {instead!r}"
    return problem


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


def validate_name(name: str, what: str = "task name") -> str:
    """Return `name` unchanged, or raise WorkspaceError saying why it is not a valid task name
    (`what` says what was given: `task name prefix`)."""
    problem = name_problem(name)
    if problem:
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise WorkspaceError(f"invalid {what} {shown!r}: {problem}")
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
