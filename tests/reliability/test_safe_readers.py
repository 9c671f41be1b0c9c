"""Every reader of a file a user or a task can replace goes through the safe reader: a FIFO in
its place never blocks, a symlink to a file outside is never read or written through, a huge or
too deep file is refused. Covers the readers outside the workspace store: the TUI's search
history and table prefs, `pr.load()`, `pr.summary`, `pr.log`, the Slurm launcher and view."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SECRET = '{"search": ["outside-secret"], "sort": "outside-secret", "jobs": {"x": {"state": "outside-secret"}}}\n'


class Hung(BaseException):
    """Raised by the alarm: not an OSError, so no reader can swallow it as a read error."""


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    def hang(*_: object) -> None:
        raise Hung("blocked on a planted file")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _plant(path: Path, kind: str, outside: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        outside.write_text(SECRET)
        path.symlink_to(outside)


def _history(ws: Path) -> tuple[Path, Callable[[], object]]:
    from pyruns_tui.tui.models.history import HISTORY_FILE, SearchHistory

    return ws / HISTORY_FILE, lambda: SearchHistory(ws / HISTORY_FILE).items


def _prefs(ws: Path) -> tuple[Path, Callable[[], object]]:
    from pyruns_tui.tui.models.prefs import PREFS_FILE, ManagerPrefs

    return ws / PREFS_FILE, lambda: ManagerPrefs.load(ws / PREFS_FILE).sort


def _slurm_view(ws: Path) -> tuple[Path, Callable[[], object]]:
    from pyruns_tui.runner.slurm.submit import slurm_dir
    from pyruns_tui.runner.slurm.view import workspace_jobs
    from pyruns_tui.workspace.layout import Layout

    layout = Layout(ws.parent, ws.name)
    return slurm_dir(layout) / "status.json", lambda: workspace_jobs(layout, []).polled_at


READERS = {"history": _history, "prefs": _prefs, "slurm_view": _slurm_view}


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
@pytest.mark.parametrize("reader", sorted(READERS))
def test_tui_and_slurm_readers_never_block_or_follow(tmp_path: Path, reader: str, kind: str) -> None:
    ws = tmp_path / "_pyruns_" / "train"
    ws.mkdir(parents=True)
    path, read = READERS[reader](ws)
    _plant(path, kind, tmp_path / "outside.json")
    assert "outside-secret" not in repr(read())


def _script(task_dir: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYRUNS_TASK_DIR": str(task_dir)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=env,
                          cwd=task_dir)


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_pr_load_refuses_a_planted_config(tmp_path: Path, kind: str) -> None:
    """The task's config (the runner sets $__PYRUNS_CONFIG__) is never read through a planted file."""
    _plant(tmp_path / "config.yaml", kind, tmp_path / "outside.yaml")
    done = _script(tmp_path, "import os, pyruns_tui as pr\nos.environ['__PYRUNS_CONFIG__'] = os.path.abspath("
                             "'config.yaml')\npr.load()")
    assert done.returncode != 0 and done.stderr.strip().splitlines()[-1].startswith("pyruns_tui.errors.ParamsError"), done.stderr
    assert "config.yaml" in done.stderr and ("FIFO" if kind == "fifo" else "symlink") in done.stderr, done.stderr
    assert "outside-secret" not in done.stdout + done.stderr


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_pr_summary_and_log_never_write_through_a_planted_file(tmp_path: Path, kind: str) -> None:
    task = tmp_path / "task"
    task.mkdir()
    outside = tmp_path / "outside.json"
    _plant(task / "metrics.jsonl", kind, outside)
    before = outside.read_text() if kind == "symlink" else None
    done = _script(task, "import pyruns_tui as pr\npr.log({'loss': 1.0}, step=1)\npr.flush()\nprint('ok')")
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr
    (task / "metrics.jsonl").unlink()
    _plant(task / "summary.json", kind, outside)
    done = _script(task, "import pyruns_tui as pr\npr.summary({'best': 1.0})\nprint('ok')")
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr
    if kind == "symlink":
        assert outside.read_text() == before, "written through a symlink"
        assert (task / "summary.json").is_symlink() or json.loads((task / "summary.json").read_text()) == {"best": 1.0}


def test_slurm_launcher_refuses_a_fifo_submission(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "submission.json")
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "0"}
    done = subprocess.run([sys.executable, "-m", "pyruns_tui.runner.slurm.launcher", str(tmp_path / "submission.json")],
                          capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "submission.json is a FIFO" in done.stderr, done.stderr


def test_pr_load_of_a_path_the_script_names_follows_its_symlink(tmp_path: Path) -> None:
    (tmp_path / "shared.yaml").write_text("lr: 0.5\n")
    (tmp_path / "exp.yaml").symlink_to(tmp_path / "shared.yaml")
    done = _script(tmp_path, "import pyruns_tui as pr\nprint(pr.load('exp.yaml').lr)")
    assert done.returncode == 0 and done.stdout.strip() == "0.5", done.stderr
    os.mkfifo(tmp_path / "pipe.yaml")
    done = _script(tmp_path, "import pyruns_tui as pr\npr.load('pipe.yaml')")
    assert done.returncode != 0 and "pipe.yaml is a FIFO" in done.stderr, done.stderr
