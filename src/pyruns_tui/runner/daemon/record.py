"""What a run records about where it ran: host, interpreter, git state, redacted environment."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from pyruns_tui.runner.redact import REDACTED, is_secret, redact_env  # noqa: F401  (re-exported)

GIT_TIMEOUT_S = 2.0
GIT_CACHE_S = 10.0


def host_name() -> str:
    return socket.gethostname()


def resolve_python(executable: str) -> str:
    """The absolute path of the task interpreter when it can be found on PATH, else as given."""
    if os.sep in executable:
        return os.path.abspath(executable)
    return shutil.which(executable) or executable


def _git(directory: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").strip()


def read_git(directory: Path) -> dict[str, Any] | None:
    """`{"commit", "dirty", "branch", "root"}` of the repository holding `directory`, or None."""
    head = _git(directory, "rev-parse", "HEAD", "--abbrev-ref", "HEAD", "--show-toplevel")
    if head is None:
        return None
    lines = head.splitlines()
    if len(lines) < 3:
        return None
    commit, branch, root = lines[0], lines[1], lines[2]
    status = _git(directory, "status", "--porcelain", "--untracked-files=no")
    return {
        "commit": commit,
        "dirty": None if status is None else bool(status),
        "branch": None if branch == "HEAD" else branch,
        "root": root,
    }


class GitCache:
    """`read_git` per directory, remembered for a few seconds (a batch starts many tasks at once)."""

    def __init__(self, ttl_s: float = GIT_CACHE_S) -> None:
        self.ttl_s = ttl_s
        self._cache: dict[Path, tuple[float, dict[str, Any] | None]] = {}

    def get(self, directory: Path) -> dict[str, Any] | None:
        now = time.monotonic()
        hit = self._cache.get(directory)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        info = read_git(directory) if directory.is_dir() else None
        self._cache[directory] = (now, info)
        return info
