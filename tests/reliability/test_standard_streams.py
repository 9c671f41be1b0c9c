"""Standard streams a shell closed or pointed at a full device, and inputs of any size: one clear
line on stderr, the right exit code, nothing half-done, never a traceback, never a hang.

The commands run under `sh -c 'exec "$@" REDIRECTION'`, the way a user's shell runs them."""

from __future__ import annotations

import resource
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
MEMORY_LIMIT = 1 << 30  # reading an endless input whole reaches it at once (MemoryError), as a regression should
T1, T2 = "t_1-of-2", "t_2-of-2"


@pytest.fixture
def proj(tmp_path: Path) -> Iterator[Path]:
    proj = make_project(tmp_path)
    fake_finished_run(proj, T1, b"line\n")
    yield proj
    pyr(proj, "runner", "stop", timeout=HANG_S)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def shell(proj: Path, redirection: str, *args: str, limit_memory: bool = False, buffered: bool = True) -> CliResult:
    """`pyr-tui ARGS REDIRECTION` run by sh (the output a closed stream would have had is lost);
    its stdout block-buffered as a user's is, or not."""
    env = cli_env(proj.parent / "home", None if buffered else {"PYTHONUNBUFFERED": "1"})
    if buffered:
        env.pop("PYTHONUNBUFFERED", None)
    proc = subprocess.run(
        ["sh", "-c", f'exec "$@" {redirection}', "sh", sys.executable, "-m", "pyruns_tui", *args],
        cwd=proj, capture_output=True, env=env, timeout=HANG_S,
        preexec_fn=_limit_memory if limit_memory else None,
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


def test_a_spec_over_16_mib_is_refused_without_being_read(proj: Path) -> None:
    with open(proj / "huge.yaml", "wb") as f:
        f.truncate((16 << 20) + 1)  # sparse: nothing to write, 16 MiB and a byte to read
    result = pyr(proj, "gen", "huge.yaml", "--dry-run", timeout=HANG_S)
    assert_clean_error(result, 1)
    assert "pyr-tui: error: huge.yaml: the spec is over 16 MiB; is this the right file?" in result.err


@pytest.mark.parametrize(("redirection", "args", "said"), [
    ("", ("gen", "/dev/zero", "--dry-run"), "/dev/zero: the spec is over 16 MiB"),
    ("</dev/zero", ("gen", "-", "--dry-run"), "<stdin>: the spec is over 16 MiB"),
    ("</dev/zero", ("note", T1, "-"), "standard input holds over 1,048,576 characters, more than the 100,000"),
    ("</dev/zero", ("note", "-a", T1, "-"), "standard input holds over 1,048,576 characters"),
], ids=["gen-file", "gen-stdin", "note", "note-append"])
def test_an_endless_input_is_read_only_up_to_its_cap(proj: Path, redirection: str, args: tuple[str, ...],
                                                      said: str) -> None:
    """Under a 1 GiB memory limit: an input read whole ends in MemoryError at once."""
    result = shell(proj, redirection, *args, limit_memory=True)
    assert_clean_error(result, 1)
    assert said in result.err
    assert read_info(proj, T1).get("notes", "") == ""


def test_a_spec_from_a_fifo_is_read(proj: Path) -> None:
    """`gen <(...)`: the shell gives a FIFO's path."""
    proc = subprocess.run(["bash", "-c", 'exec "$@" <(printf "seed: 7 | 8\\n")', "bash", sys.executable, "-m",
                           "pyruns_tui", "gen", "--dry-run", "-n", "f"],
                          cwd=proj, capture_output=True, env=cli_env(proj.parent / "home"), timeout=HANG_S)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().splitlines() == ["f_1-of-2", "f_2-of-2", "2 tasks would be created"]
