"""Leftovers of killed processes and unbounded inputs: staging folders of a killed `gen`,
`log --plain` on a log that is one endless line, SIGTERM to the TUI in a real terminal."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.reliability.harness import make_project, pyr, wait_until


def test_staging_folders_of_a_killed_gen_are_removed_at_the_next_write(tmp_path: Path) -> None:
    proj = make_project(tmp_path, tasks=0)
    tasks = proj / "_pyruns_" / "train" / "tasks"
    spec = tmp_path / "big.yaml"
    spec.write_text("lr: 0:10000\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYRUNS")}
    gen = subprocess.Popen([sys.executable, "-m", "pyruns_tui", "-C", str(proj), "gen", str(spec), "-n", "big"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        staging = wait_until(lambda: [p for p in tasks.iterdir() if p.name.startswith(".staging-")
                                      and any(p.iterdir())], 60, "gen to write its staging folder")
    finally:
        gen.send_signal(signal.SIGKILL)
        gen.wait()
    assert all(p.exists() for p in staging)
    small = tmp_path / "small.yaml"
    small.write_text("lr: 0.5\n")
    assert pyr(proj, "gen", str(small), "-n", "small").code == 0
    assert not [p for p in tasks.iterdir() if p.name.startswith(".staging-")]
    assert [p.name for p in tasks.iterdir()] == ["small"]


@pytest.mark.slow
def test_log_plain_memory_stays_bounded_on_one_endless_line(tmp_path: Path) -> None:
    from tests.reliability.harness import cli_env, fake_finished_run

    proj = make_project(tmp_path, tasks=1)
    log = fake_finished_run(proj, "t", b"")
    with open(log, "wb") as fh:
        for _ in range(80):
            fh.write(b"a" * 1_000_000)  # 80 MB, no newline
    measure = ("import resource, subprocess, sys\n"
               "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    done = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "pyruns_tui", "log", "--plain", "t"],
                          cwd=proj, capture_output=True, text=True, env=cli_env(tmp_path / "home"), timeout=300)
    assert done.returncode == 0, done.stderr
    peak_mb = int(done.stdout) / 1024
    assert peak_mb < 70, f"log --plain peaked at {peak_mb:.0f} MB on an 80 MB line"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_sigterm_to_the_tui_restores_the_terminal(tmp_path: Path) -> None:
    from tests.reliability.test_sighup import Tmux

    proj = make_project(tmp_path, tasks=1)
    out = tmp_path / "stty.txt"
    inner = (f"{shlex.quote(sys.executable)} -m pyruns_tui -C {shlex.quote(str(proj))} train.py; "
             f"stty -a > {shlex.quote(str(out))}; exec sleep 300")
    tmux = Tmux()
    try:
        shell = tmux.start(["sh", "-c", inner])
        wait_until(lambda: "Generator" in tmux.screen(), 60, "the TUI to draw")
        tui = wait_until(lambda: psutil.Process(shell).children(), 30, "the TUI process")[0]
        wait_until(lambda: tmux("display", "-p", "-t", "pyr", "#{mouse_any_flag}").strip() == "1", 30,
                   "the TUI to turn mouse tracking on")
        tui.send_signal(signal.SIGTERM)
        wait_until(lambda: out.exists() and out.stat().st_size > 0, 30, "the shell to run on after the TUI")
        settings = out.read_text().split()
        assert "icanon" in settings and "echo" in settings, settings
        flags = tmux("display", "-p", "-t", "pyr", "#{mouse_any_flag} #{alternate_on}").split()
        assert flags == ["0", "0"], flags
    finally:
        tmux.kill_server()
