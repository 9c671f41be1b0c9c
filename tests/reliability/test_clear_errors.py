"""Bad input and hostile environments give one error line at the command that caused them:
undecodable argv, huge paths and numbers, a read-only filesystem, no permission, bad settings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
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
    task_dir,
)


@pytest.fixture
def proj(tmp_path: Path) -> Iterator[Path]:
    proj = make_project(tmp_path)
    yield proj
    pyr(proj, "runner", "stop")


@pytest.mark.parametrize("args", ids=["gen-n", "C-long", "C-deep", "w", "show", "note"], argvalues=[
    ("gen", "SPEC", "-n", os.fsdecode(b"bad\xff\xfename")),
    ("-C", "x" * 5000, "ls"),
    ("-C", "/" + "d/" * 3000, "ls"),
    ("-w", os.fsdecode(b"\xff"), "ls"),
    ("show", os.fsdecode(b"t\xff")),
    ("note", os.fsdecode(b"t\xff"), "x"),
])
def test_hostile_arguments_give_one_line(proj: Path, args: tuple[str, ...]) -> None:
    spec = proj / "spec.yaml"
    spec.write_text("seed: 7\n")
    result = pyr(proj, *[str(spec) if a == "SPEC" else a for a in args])
    assert result.code in (1, 2)
    assert_clean_error(result, result.code)
    assert len(result.err) < 400  # the 5,000-character path is not echoed whole


@pytest.mark.parametrize("value", ["9" * 200_000, "1 | " + "9" * 5000, "-" + "9" * 4301, "[1, " + "9" * 9000 + "]"],
                         ids=["200000", "grid", "negative", "list"])
@pytest.mark.parametrize("mode", [(), ("--dry-run",), ("--dry-run", "--json")])
def test_a_huge_integer_in_a_spec_is_one_line(proj: Path, value: str, mode: tuple[str, ...]) -> None:
    spec = proj / "spec.yaml"
    spec.write_text(f"seed: {value}\n")
    result = pyr(proj, "gen", str(spec), "-n", "big", *mode)
    assert_clean_error(result, 1)
    assert "seed: a number with more than 4300 digits" in result.err
    assert not (proj / "_pyruns_" / "train" / "tasks" / "big").exists()


@pytest.mark.parametrize(("settings", "needle"), [
    ("max_concurrency: 0\n", "max_concurrency"),
    ("max_concurrency: -3\n", "max_concurrency"),
    ("gpus_per_task: x\n", "gpus_per_task"),
    ("env: {'A=B': 1}\n", "'A=B'"),
    ("env: {'': 1}\n", "env name ''"),
    ("env: {'=': x}\n", "env name '='"),
    ("env: [A]\n", "env"),
])
@pytest.mark.parametrize("command", [("run", "t_1-of-2"), ("gen", "SPEC", "--run")])
def test_invalid_settings_fail_the_command_that_would_use_them(
        proj: Path, settings: str, needle: str, command: tuple[str, ...]) -> None:
    (proj / "_pyruns_" / "_pyruns_settings.yaml").write_text(settings)
    spec = proj / "spec.yaml"
    spec.write_text("seed: 9\n")
    result = pyr(proj, *[str(spec) if a == "SPEC" else a for a in command])
    assert_clean_error(result, 1)
    assert needle in result.err
    assert read_info(proj, "t_1-of-2")["status"] == "pending"  # nothing was queued


@pytest.fixture
def readonly_proj(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a read-only filesystem needs root")
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("mount is not permitted here")
    try:
        proj = make_project(mnt)
        pyr(proj, "run", "t_1-of-2", "--wait")
        pyr(proj, "runner", "stop")
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        yield proj
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


COMMANDS = [("ls",), ("show", "t_1-of-2"), ("export",), ("runner", "status"), ("runner", "status", "--json"),
            ("note", "t_1-of-2", "x"), ("pin", "t_1-of-2"), ("rm", "t_2-of-2"), ("run", "t_2-of-2"),
            ("stop", "t_1-of-2"), ("gen", "SPEC"), ("init", "train.py"), ("runner", "stop"),
            ("log", "t_1-of-2", "--plain")]


def test_a_read_only_filesystem_gives_one_line_everywhere(readonly_proj: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("seed: 5\n")
    for args in COMMANDS:
        result = pyr(readonly_proj, *[str(spec) if a == "SPEC" else a for a in args], home=tmp_path / "home")
        assert_clean_error(result, result.code)
        if result.code:
            assert "read-only" in result.err, (args, result.err)
            assert ".tmp" not in result.err and ".staging" not in result.err, (args, result.err)  # names the file meant
            assert str(readonly_proj) in result.err, (args, result.err)  # where (`run` said "a file: ...")


def test_wait_on_a_read_only_filesystem_says_how_the_tasks_ended(readonly_proj: Path, tmp_path: Path) -> None:
    result = pyr(readonly_proj, "wait", "t_1-of-2", home=tmp_path / "home")  # no FIFO can be made: it polls
    assert (result.code, result.out, result.err) == (0, "1 of 1 task completed\n", "")


def _as_nobody(proj: Path, *args: str) -> CliResult:
    env = cli_env(Path(tempfile.gettempdir()), {"PYRUNS_TUI_SAFE_DIRECTORIES": "*"})
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           sys.executable, "-m", "pyruns_tui", *args],
                          cwd=proj, capture_output=True, env=env, timeout=60)
    return CliResult(proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"))


@pytest.fixture
def others_proj() -> Iterator[Path]:
    """A project of root's in a folder everyone may read (not under pytest's 0700 tmp_path)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("running as another user needs root and setpriv")
    runs = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", "pass"],
                          capture_output=True, timeout=60)
    if runs.returncode != 0:  # (a Python built with its library in root's home)
        pytest.skip(f"{sys.executable} cannot be run by another user: {runs.stderr.decode(errors='replace').strip()}")
    root = Path(tempfile.mkdtemp())
    try:
        root.chmod(0o755)
        yield make_project(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_wait_by_another_user_says_how_the_tasks_ended(others_proj: Path) -> None:
    pyr(others_proj, "run", "t_1-of-2", "--wait")
    pyr(others_proj, "runner", "stop")
    assert (others_proj / "_pyruns_" / "train" / ".runner" / "waiters").is_dir()  # root's, 0700
    result = _as_nobody(others_proj, "wait", "t_1-of-2")  # it cannot make its FIFO there: it polls
    assert (result.code, result.out, result.err) == (0, "1 of 1 task completed\n", "")


def test_no_permission_gives_one_line_everywhere(others_proj: Path) -> None:
    spec = others_proj.parent / "spec.yaml"
    spec.write_text("seed: 5\n")
    spec.chmod(0o644)
    for args in COMMANDS:
        result = _as_nobody(others_proj, *[str(spec) if a == "SPEC" else a for a in args])
        assert_clean_error(result, result.code)


def _completed_with_loss(proj: Path, task: str, loss: float) -> Path:
    """`task` completed with one run that logged `loss`; its metrics file."""
    fake_finished_run(proj, task, b"done\n")
    metrics = task_dir(proj, task) / "metrics.jsonl"
    metrics.write_text(json.dumps({"loss": loss, "t": 1.0}) + "\n")
    return metrics


def test_another_users_private_metrics_file_blocks_no_listing(others_proj: Path) -> None:
    # t_1's run logged the lower loss, in a file its owner keeps private (umask 077)
    _completed_with_loss(others_proj, "t_1-of-2", 0.1).chmod(0o600)
    _completed_with_loss(others_proj, "t_2-of-2", 0.5).chmod(0o644)
    listed = _as_nobody(others_proj, "ls", "-c", "loss")
    assert_clean_error(listed, 0)
    rows = {line.split()[1]: line.split()[-1] for line in listed.out.splitlines()[1:]}
    assert rows == {"t_1-of-2": "0.1s", "t_2-of-2": "0.5"}, listed.out  # (t_1: its duration, no loss)
    shown = _as_nobody(others_proj, "show", "t_1-of-2")
    assert_clean_error(shown, 0)
    assert "broken:  metrics.jsonl: cannot read it (Permission denied)" in shown.out
    exported = _as_nobody(others_proj, "export")
    assert_clean_error(exported, 0)
    assert exported.out.splitlines()[2].startswith("t_2-of-2,completed,1,") and exported.out.endswith(",0.5,0.5,0.5\n")
    best = _as_nobody(others_proj, "export", "--best", "loss")
    assert_clean_error(best, 0)
    assert best.out.startswith("t_2-of-2\n# loss.min = 0.5 (run 1)\n")
    assert best.err == ("note: 1 completed task not considered, its file cannot be read: t_1-of-2 (metrics.jsonl: "
                        "cannot read it (Permission denied)); see `pyr-tui show TASK`\n")
