"""Standard streams a shell closed or pointed at a full device: one clear line on stderr, the
right exit code, nothing half-done, never a traceback, never a hang.

The commands run under `sh -c 'exec "$@" REDIRECTION'`, the way a user's shell runs them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.harness import (
    CliResult,
    assert_clean_error,
    cli_env,
    fake_finished_run,
    make_project,
    pyr,
    read_info,
)

HANG_S = 60  # a command that has not ended by then hangs
T1, T2 = "t_1-of-2", "t_2-of-2"


@pytest.fixture
def proj(tmp_path: Path) -> Iterator[Path]:
    proj = make_project(tmp_path)
    fake_finished_run(proj, T1, b"line\n")
    yield proj
    pyr(proj, "runner", "stop", timeout=HANG_S)


def shell(proj: Path, redirection: str, *args: str, buffered: bool = True) -> CliResult:
    """`pyr-tui ARGS REDIRECTION` run by sh (the output a closed stream would have had is lost);
    its stdout block-buffered as a user's is, or not."""
    env = cli_env(proj.parent / "home", None if buffered else {"PYTHONUNBUFFERED": "1"})
    if buffered:
        env.pop("PYTHONUNBUFFERED", None)
    proc = subprocess.run(
        ["sh", "-c", f'exec "$@" {redirection}', "sh", sys.executable, "-m", "pyruns_tui", *args],
        cwd=proj, capture_output=True, env=env, timeout=HANG_S,
    )
    return CliResult(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


@pytest.mark.parametrize("args", [("ls",), ("ls", "--json"), ("log", T1), ("show", T1), ("run", T2),
                                  ("note", T1, "new"), ("gen", "spec.yaml", "-n", "g"), ("--help",)])
def test_a_closed_stdout_is_one_line_before_anything_is_done(proj: Path, args: tuple[str, ...]) -> None:
    (proj / "spec.yaml").write_text("seed: 5\n")
    result = shell(proj, ">&-", *args)
    assert_clean_error(result, 1)
    assert "cannot write to standard output: it is closed" in result.err
    assert read_info(proj, T2)["status"] == "pending"  # not queued
    assert read_info(proj, T1).get("notes", "") == ""
    assert not (proj / "_pyruns_" / "train" / "tasks" / "g").exists()
    assert sorted(p.name for p in (proj / "_pyruns_" / "train" / "tasks").iterdir()) == [T1, T2]


@pytest.mark.parametrize("args", [("note", T1, "-"), ("note", "-a", T1, "-"), ("gen", "-", "--dry-run"),
                                  ("gen", "-", "-n", "g")])
def test_a_closed_stdin_for_dash_is_one_line_not_an_empty_text(proj: Path, args: tuple[str, ...]) -> None:
    assert pyr(proj, "note", T1, "kept").code == 0
    result = shell(proj, "<&-", *args)
    assert_clean_error(result, 1)
    assert "standard input is closed" in result.err
    assert read_info(proj, T1)["notes"] == "kept"  # not emptied
    assert sorted(p.name for p in (proj / "_pyruns_" / "train" / "tasks").iterdir()) == [T1, T2]


def test_a_closed_stderr_does_not_fail_a_command_that_worked(proj: Path) -> None:
    listed = shell(proj, "2>&-", "ls")
    assert listed.code == 0 and T1 in listed.out and T2 in listed.out
    shown = shell(proj, "2>&-", "show", T1, "--json")
    assert shown.code == 0 and '"completed"' in shown.out
    queued = shell(proj, "2>&-", "run", T2, "--wait")
    assert queued.code == 0, queued.out
    assert "1 of 1 task completed" in queued.out
    assert read_info(proj, T2)["status"] == "completed"
    failed = shell(proj, "2>&-", "show", "nope")  # a failure still says so by its exit code
    assert failed.code == 1


@pytest.mark.parametrize("args", [("ls",), ("ls", "--json"), ("show", T1), ("log", T1), ("log", T1, "--plain"),
                                  ("export", "-f", "md"), ("note", T1, "x"), ("gen", "spec.yaml", "--dry-run")])
@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
def test_a_full_stdout_is_named_not_blamed_on_a_file_or_the_disk(proj: Path, args: tuple[str, ...],
                                                                  buffered: bool) -> None:
    (proj / "spec.yaml").write_text("seed: 5 | 6\n")
    result = shell(proj, ">/dev/full", *args, buffered=buffered)
    assert_clean_error(result, 1)
    assert "pyr-tui: error: cannot write to standard output: No space left on device" in result.err
    assert "a file" not in result.err and "disk is full" not in result.err
