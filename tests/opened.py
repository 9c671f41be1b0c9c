"""The one way tests count the files a piece of code opens (a cache's worth: files it did not read)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest


@contextlib.contextmanager
def opened_files(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The base names of the paths `os.open` is given inside the block, in order."""
    names: list[str] = []
    real_open = os.open

    def counted(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        names.append(os.path.basename(os.fsdecode(path)))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", counted)
    try:
        yield names
    finally:
        monkeypatch.setattr(os, "open", real_open)
