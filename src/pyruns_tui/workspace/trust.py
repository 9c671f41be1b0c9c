"""Whether a `_pyruns_` folder found in a parent directory may be used: like git's
safe.directory, a workspace (or its settings, whose `python:` runs as you) that another user
owns or can write is refused unless the user opts in with PYRUNS_TUI_SAFE_DIRECTORIES."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pyruns_tui.errors import WorkspaceError

SAFE_ENV = "PYRUNS_TUI_SAFE_DIRECTORIES"  # os.pathsep-separated `_pyruns_` or project dirs; `*`: all


def _opted_in(root: Path) -> bool:
    listed = [entry for entry in os.environ.get(SAFE_ENV, "").split(os.pathsep) if entry]
    if "*" in listed:
        return True
    trusted = {root, root.parent}
    return any(Path(entry).expanduser().resolve() in trusted for entry in listed)


def _private_group(gid: int) -> bool:
    """Whether `gid` is the user's own group (a user-private group, as umask 002 setups use)."""
    import grp
    import pwd

    try:
        user = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(gid)
    except KeyError:
        return False
    return gid == user.pw_gid and group.gr_name == user.pw_name and set(group.gr_mem) <= {user.pw_name}


def _problem(path: Path) -> str | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return f"{path} is a symlink"
    if st.st_uid != os.geteuid():
        return f"{path} is owned by another user (uid {st.st_uid})"
    if st.st_mode & stat.S_IWOTH:
        return f"{path} is writable by every user (mode {stat.S_IMODE(st.st_mode):o}; fix: chmod o-w {path})"
    if st.st_mode & stat.S_IWGRP and not _private_group(st.st_gid):
        return f"{path} is writable by its group (mode {stat.S_IMODE(st.st_mode):o}; fix: chmod g-w {path})"
    return None


def check_trusted(root: Path) -> Path:
    """`root` (a `_pyruns_` dir), or WorkspaceError when it or its settings could be planted."""
    from pyruns_tui.workspace.layout import SETTINGS_FILE

    for path in (root, root / SETTINGS_FILE):
        problem = _problem(path)
        if problem and not _opted_in(root):
            raise WorkspaceError(f"{problem}: a workspace someone else controls could run code as you; "
                                 f"if you trust it: export {SAFE_ENV}={root.parent}")
    return root
