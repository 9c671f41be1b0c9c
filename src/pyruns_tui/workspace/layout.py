"""Where everything of a workspace lives on disk (SPEC section 1)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

from pyruns_tui.contracts import CONFIG_DEFAULT, METRICS_FILE, PYRUNS_DIR, SUMMARY_FILE
from pyruns_tui.errors import WorkspaceError

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from pyruns_tui.workspace.model import Task

SETTINGS_FILE = "_pyruns_settings.yaml"
SHELL_WORKSPACE = "_shell_"
SCRIPT_INFO = "script_info.json"
TASKS_DIR = "tasks"
TRASH_DIR = ".trash"
TASK_INFO = "task_info.json"
CONFIG_YAML = "config.yaml"
CONFIG_SH = "config.sh"
RUN_LOGS = "run_logs"
METRICS = METRICS_FILE
SUMMARY = SUMMARY_FILE
PROGRESS = "progress.json"
LOCK_FILE = ".lock"
RUNNER_DIR = ".runner"
CACHE_FILE = ".scan_cache.json"
METRICS_CACHE_FILE = ".metrics_cache.json"


SCRIPT_IN_PROJECT = "script_in_project"  # key of task_info.json and script_info.json, next to `script`


def script_in_project(script: str, project_dir: Path) -> str | None:
    """`script`'s path relative to the project (POSIX), when the script lies inside it."""
    try:
        rel = Path(os.path.realpath(script)).relative_to(os.path.realpath(project_dir))
    except ValueError:
        return None
    return rel.as_posix()


def script_here(script: str | None, record: Mapping[str, Any], project_dir: Path) -> str | None:
    """The script a record (a task's or the workspace's `extra`) runs, where the project is now.

    Records hold the script's absolute path, and, when it lay inside the project, its path within
    the project (SCRIPT_IN_PROJECT): a project copied or moved runs its own script from there (a
    copy ran the original project's script; a moved one failed for ever). A script from outside the
    project stays where it was.
    """
    inside = record.get(SCRIPT_IN_PROJECT)
    if isinstance(inside, str) and inside:
        rel = PurePosixPath(inside)
        if not rel.is_absolute() and ".." not in rel.parts:
            return str(project_dir.joinpath(*rel.parts))
    return script


@dataclass(frozen=True)
class Layout:
    """The paths of one workspace: `<project>/_pyruns_/<name>/`."""

    root: Path  # the `_pyruns_` directory
    name: str  # workspace name: script stem or `_shell_`

    @property
    def project_dir(self) -> Path:
        return self.root.parent

    def inside_root(self, path: str | Path, *, resolved: bool = False) -> Path | None:
        """Where a write of `path` lands, when that is in the `_pyruns_` folder (task records,
        settings, the runner's files: never a report's place), else None. Resolved as a write
        resolves it: its folders' symlinks followed (a link to `_pyruns_/...` leads in), the
        file itself not (a write refuses a symlink there); `_pyruns_` at its real place.
        `resolved`: `path` is already where the write lands (its folder read off an open fd),
        taken as is, not resolved again."""
        path = Path(path)
        lands = path if resolved else Path(os.path.realpath(path.parent)) / path.name
        root = Path(os.path.realpath(self.root))
        return lands if lands == root or root in lands.parents else None

    @cached_property
    def settings_file(self) -> Path:
        return self.root / SETTINGS_FILE

    @cached_property  # the runner and a wait build thousands of task paths from these
    def workspace_dir(self) -> Path:
        return self.root / self.name

    @cached_property
    def script_info(self) -> Path:
        return self.workspace_dir / SCRIPT_INFO

    @cached_property
    def config_default(self) -> Path:
        return self.workspace_dir / CONFIG_DEFAULT

    @cached_property
    def tasks_dir(self) -> Path:
        return self.workspace_dir / TASKS_DIR

    @cached_property
    def trash_dir(self) -> Path:
        return self.tasks_dir / TRASH_DIR

    @cached_property
    def lock_file(self) -> Path:
        return self.workspace_dir / LOCK_FILE

    @cached_property
    def runner_dir(self) -> Path:
        """Runner state: pid/lock files, its own log, the wake-up socket."""
        return self.workspace_dir / RUNNER_DIR

    @cached_property
    def cache_file(self) -> Path:
        return self.workspace_dir / CACHE_FILE

    @property
    def metrics_cache_file(self) -> Path:
        return self.workspace_dir / METRICS_CACHE_FILE

    @property
    def is_shell(self) -> bool:
        return self.name == SHELL_WORKSPACE

    def check_folders(self) -> None:
        """WorkspaceError when the workspace folder, its `tasks/` or `tasks/.trash` is a symlink:
        tasks would be read, written, run and deleted wherever it leads. The one check of these
        folders: TaskStore (every face, the runner) makes it when it opens a workspace and each
        time it takes the lock; `init` when it makes them. A file in the workspace folder is
        opened O_NOFOLLOW below it too (fsio.open_regular), with the same words."""
        for folder in (self.workspace_dir, self.tasks_dir, self.trash_dir):
            if os.path.islink(folder):
                raise WorkspaceError(f"{folder} is a symlink, not a folder; remove it")

    def task_dir(self, name: str) -> Path:
        return self.tasks_dir / name

    def trashed_task_dir(self, name: str) -> Path:
        return self.trash_dir / name

    def task_info(self, name: str) -> Path:
        return self.tasks_dir.joinpath(name, TASK_INFO)  # (one Path built, not two: the runner asks at every run)

    def task_config(self, name: str) -> Path:
        return self.task_dir(name) / CONFIG_YAML

    def task_command(self, name: str) -> Path:
        return self.task_dir(name) / CONFIG_SH

    def run_log(self, name: str, index: int) -> Path:
        return self.tasks_dir.joinpath(name, RUN_LOGS, f"run{index}.log")

    def missing_run_log(self, task: Task, index: int) -> str | None:
        """Why run `index` of `task` has no log to show: it never started, its log was deleted, or
        something else stands in its place (a FIFO, a symlink: never read, see safefile). None when
        the log is there, or may still come (the run is going, or queued on Slurm: see
        `waiting_run_log`). `pyr-tui log` and the Monitor say the same."""
        path = self.run_log(task.name, index)
        planted = _not_a_log(path)
        if planted:  # (it printed nothing, and the Monitor showed an empty pane: `0 lines`)
            return f"the log of run {index} of {task.name!r} cannot be read: {planted}"
        run = next((r for r in task.runs if r.index == index), None)
        if run is None or run.status.is_active or os.path.lexists(path):
            return None
        if run.pid is None and run.exit_code is None and not run.node:  # a Slurm run refused, or cancelled pending
            why = run.reason or task.reason
            return f"run {index} of {task.name!r} never started" + (f": {why}" if why else "")
        return f"the log of run {index} of {task.name!r} is missing ({path}): deleted?"

    def waiting_run_log(self, task: Task, index: int) -> str | None:
        """Why run `index` of `task` has no log yet though one will come: it is queued on Slurm
        (`Slurm: Resources`, `submitting to Slurm`), its job not started, with what to do when it
        can never start as asked (runner/slurm/pending.py). None otherwise."""
        from pyruns_tui.workspace.model import Status

        run = next((r for r in task.runs if r.index == index), None)
        if run is None or run.status is not Status.QUEUED or os.path.lexists(self.run_log(task.name, index)):
            return None
        why = run.reason or task.reason
        from pyruns_tui.runner.slurm.pending import never_starts, pending_help

        # what to do, where only the user can make it start (PartitionConfig: it asks for too much)
        what = f": {pending_help(why)}" if never_starts(why) else ""
        return f"run {index} of {task.name!r} has not started yet: queued" + (f" ({why}){what}" if why else "")

    def run_env(self, name: str, index: int) -> Path:
        """The run's environment snapshot: owner-only, apart from the group-shareable task_info.json."""
        return self.tasks_dir.joinpath(name, RUN_LOGS, f"run{index}.env.json")

    def metrics_file(self, name: str) -> Path:
        return self.task_dir(name) / METRICS

    def summary_file(self, name: str) -> Path:
        return self.task_dir(name) / SUMMARY

    def progress_file(self, name: str) -> Path:
        return self.task_dir(name) / PROGRESS


def find_root(start: Path) -> Path | None:
    """The nearest `_pyruns_` directory at or above `start`, or None; WorkspaceError when
    another user owns or can write it (see workspace/trust.py)."""
    from pyruns_tui.workspace.trust import check_trusted

    start = start.resolve()
    for directory in (start, *start.parents):
        candidate = directory / PYRUNS_DIR
        if candidate.is_dir():
            return check_trusted(candidate).resolve()  # a symlinked `_pyruns_` that was opted in: its real path
    return None


def pyruns_folder_of(lands: Path) -> Path | None:
    """The pyruns folder a resolved path `lands` is in (or is), of any workspace, else None: the
    nearest folder on it named `_pyruns_`, or holding `_pyruns_settings.yaml` (a workspace's
    `_pyruns_` at its real place under another name, a symlinked one opted in). What no report
    may replace: another project's task records are as much pyruns-tui's as the open one's."""
    for folder in (lands, *lands.parents):
        if folder.name == PYRUNS_DIR:
            return folder
        if folder != lands and os.path.lexists(folder / SETTINGS_FILE):
            return folder
    return None


def list_workspaces(root: Path) -> list[str]:
    """Names of the workspaces under a `_pyruns_` directory, sorted."""
    if not root.is_dir():
        return []
    return sorted(
        entry.name
        for entry in root.iterdir()
        if entry.is_dir() and not entry.name.startswith(".") and (entry / TASKS_DIR).is_dir()
    )


def _not_a_log(path: Path) -> str | None:
    """`<path> is a FIFO, not a regular file; remove it` when something other than a regular file
    stands at the run log `path` or its run_logs folder is a symlink; None otherwise (a missing
    log included)."""
    import stat

    from pyruns_tui.safefile import NotRegularFile, kind_of

    for where, folder in ((path.parent, True), (path, False)):
        try:
            mode = os.lstat(where).st_mode  # (a symlink is S_IFLNK: neither a folder nor a file)
        except OSError:
            return None
        if not (stat.S_ISDIR(mode) if folder else stat.S_ISREG(mode)):
            return str(NotRegularFile(where, kind_of(mode), "a folder" if folder else "a regular file"))
    return None
