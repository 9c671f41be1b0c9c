"""A batch a killed `gen` left half-written is finished by the TUI's first scan, and said once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore
from tests.reliability.harness import cli_env
from tests.tui.test_generator import demo, until

__all__ = ["demo"]  # (a fixture)


def killed_mid_batch(layout: Layout, tmp_path: Path, count: int, renamed: int) -> None:
    """A real `pyr-tui gen` of `count` tasks killed (SIGKILL) after `renamed` of its renames."""
    spec = tmp_path / "spec.yaml"
    spec.write_text("seed: " + " | ".join(str(i) for i in range(count)) + "\n")
    (tmp_path / "home").mkdir()
    env = cli_env(tmp_path / "home", {"PYRUNS_TUI_TEST_STOP_AT_RENAME": str(renamed)})
    gen = subprocess.Popen([sys.executable, "-m", "pyruns_tui", "-C", str(layout.project_dir), "gen", str(spec),
                            "-n", "b"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status = os.waitpid(gen.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), f"gen did not stop (exit status {status})"
    gen.kill()
    gen.wait()


async def test_the_tui_finishes_a_batch_a_killed_gen_left_and_says_so(demo: Layout, tmp_path: Path) -> None:
    killed_mid_batch(demo, tmp_path, 6, 2)
    assert len(TaskStore(demo).names()) == 2
    app = PyrunsApp(demo, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        wanted = "finished a batch of 6 tasks that an interrupted gen left half-written (4 moved in)"
        await until(pilot, lambda: [n.message for n in app._notifications if n.message == wanted] != [])
        await until(pilot, lambda: len(app.state.snapshot.tasks) == 6)
    assert sorted(TaskStore(demo).names()) == sorted(f"b_{i}-of-6" for i in range(1, 7))
    assert [e for e in os.listdir(demo.tasks_dir) if e.startswith(".")] == []
