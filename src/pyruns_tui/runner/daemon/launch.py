"""How a task is started: its command line, environment and working directory.

Kinds: `argparse` -> `python script.py <argv from config.yaml>` (a flag for each value the script
would not get without it: its own default, or the value of the YAML file of defaults the task
names, timm's `--config`: workspace/file_defaults.py); `pyruns_load` and `plain` ->
`python script.py` (the script reads its config through `__PYRUNS_CONFIG__`); `shell` ->
`$SHELL -c "<config.sh>"` (or /bin/sh). The working directory is the project (the parent of
`_pyruns_`). The environment is the runner's, then `settings.env`, then ours.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyruns_tui.contracts import CONFIG_ENV, DROPPED_ENV, TASK_DIR_ENV, TERMINAL_ENV
from pyruns_tui.errors import PyrunsError, RunnerError
from pyruns_tui.workspace.bootstrap import task_script
from pyruns_tui.workspace.layout import CONFIG_YAML, Layout
from pyruns_tui.workspace.model import Task
from pyruns_tui.workspace.settings import Settings
from pyruns_tui.workspace.store import TaskStore


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one run of a task."""

    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: Path
    repo_dir: Path  # where the git state is read: the script's folder (the project for shell tasks)


class ScriptParamsCache:
    """The workspace's ScriptParams, parsed again only when script_info.json changes."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._key: tuple[int, int] | None = None
        self._value: Any = None

    def get(self) -> Any:
        from pyruns_tui.workspace.bootstrap import params_of

        st = os.stat(self.layout.script_info)
        key = (st.st_ino, st.st_mtime_ns)
        if key != self._key:
            self._value = params_of(self.layout)
            self._key = key
        return self._value

    def for_config(self, config: Mapping[str, Any]) -> Any:
        """The ScriptParams a task's command line is built against: the workspace's, with the
        defaults its YAML file of defaults gives (timm's `--config`: a flag is passed only for a
        value that differs from the file's, workspace/file_defaults.py)."""
        sp = self.get()
        if not any(spec.defaults_file for spec in sp.params):
            return sp
        from pyruns_tui.workspace.file_defaults import FileDefaults

        return FileDefaults(sp, self.layout.project_dir).params_for(config)

    def warm_up(self) -> None:
        """In an argparse script's workspace, import what building its tasks' command lines needs
        and parse the script's parameters now, while the runner has nothing to do: PyYAML (a
        task's config.yaml) and the argparse model cost ~35 ms to import, which the first task
        queued to an idle runner waited for. Other workspaces need neither (a task queued while a
        runner started would wait for them). A workspace whose parameters cannot be read is left
        to the launch, which reports it."""
        from pyruns_tui.workspace.bootstrap import read_script_info

        with contextlib.suppress(OSError, ValueError, PyrunsError):
            if read_script_info(self.layout).kind == "argparse":
                from pyruns_tui.params import argv, yamlio  # noqa: F401

                self.get()


def task_argv(
    store: TaskStore, task: Task, python: str, params: ScriptParamsCache, base_env: Mapping[str, str]
) -> list[str]:
    """The command line of a task (raises PyrunsError when it cannot be built)."""
    kind = task.task_kind
    if kind == "shell":
        command = store.read_command(task.name).strip()
        if not command:
            raise RunnerError(f"task {task.name!r}: config.sh is empty; nothing to run")
        return [base_env.get("SHELL") or "/bin/sh", "-c", command]
    script = task_script(store.layout, task)
    if not script:
        raise RunnerError(f"task {task.name!r} has no script; recreate it from a workspace with a script")
    if not os.path.isfile(script):
        raise RunnerError(f"task {task.name!r}: script {script} does not exist (a project moved? run "
                          "`pyr-tui init SCRIPT.py` where it is now)")
    if kind in ("argparse", "configurator"):  # (configurator: nanoGPT's `--key=value` items, script_info's argv_style)
        from pyruns_tui.params.argv import build_argv

        config = store.load_config(task.name)
        return [python, script, *build_argv(config, params.for_config(config), script=os.path.basename(script))]
    if kind in ("pyruns_load", "plain"):
        return [python, script]
    raise RunnerError(f"task {task.name!r} has unknown kind {kind!r} (argparse, configurator, pyruns_load, plain or shell)")


def task_env(
    base_env: Mapping[str, str],
    layout: Layout,
    task: Task,
    settings: Settings,
    gpus: Sequence[int] | None,
) -> dict[str, str]:
    """The environment of a run. `gpus` None: this machine has no GPUs, CUDA is left as is.

    On a GPU machine CUDA_VISIBLE_DEVICES names the assigned devices (NVML indices, with
    CUDA_DEVICE_ORDER=PCI_BUS_ID so CUDA numbers them the same way); a task with no GPUs gets
    an empty CUDA_VISIBLE_DEVICES unless settings.env sets one itself.
    """
    env = {k: v for k, v in base_env.items() if k not in DROPPED_ENV}
    env.update(settings.env)
    env.update(TERMINAL_ENV)
    task_dir = os.path.join(_real_path(layout.tasks_dir), task.name)  # (never a link: it is read O_NOFOLLOW)
    env[CONFIG_ENV] = os.path.join(task_dir, CONFIG_YAML)
    env[TASK_DIR_ENV] = task_dir
    if gpus is not None:
        if gpus or "CUDA_VISIBLE_DEVICES" not in settings.env:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in gpus)
        env.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
    return env


@functools.lru_cache(maxsize=16)
def _real_path(folder: Path) -> str:
    """`folder` with every symlink resolved, once per folder (a resolve is a `stat` per part)."""
    return str(folder.resolve())


def build_launch(
    store: TaskStore,
    task: Task,
    settings: Settings,
    gpus: Sequence[int] | None,
    params: ScriptParamsCache,
    base_env: Mapping[str, str] | None = None,
) -> Launch:
    """The launch of `task` with the given GPU assignment; PyrunsError when it cannot be built."""
    layout = store.layout
    base = os.environ if base_env is None else base_env
    try:
        argv = task_argv(store, task, settings.python_executable, params, base)
    except PyrunsError:
        raise
    except (OSError, ValueError) as exc:
        raise RunnerError(f"task {task.name!r}: cannot build its command line: {exc}") from exc
    return Launch(
        argv=tuple(argv),
        env=task_env(base, layout, task, settings, gpus),
        cwd=layout.project_dir,
        repo_dir=repo_dir(layout, task_script(layout, task), task.task_kind),
    )


def repo_dir(layout: Layout, script: str | None, kind: str) -> Path:
    """Where a run's git state is read: its script's folder (the project's for a shell task)."""
    return Path(script).parent if script and kind != "shell" else layout.project_dir


def workspace_repo_dir(layout: Layout) -> Path | None:
    """Where the runs of this workspace's tasks read their git state (`repo_dir` of its script);
    None when its script_info.json cannot be read."""
    if layout.is_shell:
        return repo_dir(layout, None, "shell")
    from pyruns_tui.workspace.bootstrap import read_script_info

    try:
        info = read_script_info(layout)
    except (OSError, ValueError, PyrunsError):
        return None
    return repo_dir(layout, info.script_at(layout), info.kind)
