"""Hostile files inside a workspace: FIFOs, devices, sockets and symlinks where a workspace file
should be, JSON nested 1,000 levels deep. Every command ends (no hang), prints at most one
error line, touches nothing outside the workspace, and a broken task breaks only itself."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.reliability.harness import (
    assert_clean_error,
    changed_paths,
    fake_finished_run,
    make_project,
    pyr,
    read_info,
    snapshot,
    task_dir,
    workspace,
)

HANG_S = 30  # a command that has not ended by then hangs (each normally takes well under 2 s)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    short = Path(tempfile.mkdtemp()) / "s"  # AF_UNIX paths are limited to 108 bytes
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(short))
    sock.close()  # the socket file stays
    os.rename(short, path)
    short.parent.rmdir()


def _device(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root")
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero: reads never end


KINDS: dict[str, Callable[[Path], None]] = {"fifo": _fifo, "socket": _socket, "device": _device}
PLACES = {
    "task_info": lambda proj: task_dir(proj, "t_1-of-2") / "task_info.json",
    "config": lambda proj: task_dir(proj, "t_1-of-2") / "config.yaml",
    "settings": lambda proj: proj / "_pyruns_" / "_pyruns_settings.yaml",
    "script_info": lambda proj: workspace(proj) / "script_info.json",
    "summary": lambda proj: task_dir(proj, "t_1-of-2") / "summary.json",
    "metrics": lambda proj: task_dir(proj, "t_1-of-2") / "metrics.jsonl",
    "run_log": lambda proj: task_dir(proj, "t_1-of-2") / "run_logs" / "run1.log",
    "scan_cache": lambda proj: workspace(proj) / ".scan_cache.json",
    "scan_cache_rest": lambda proj: workspace(proj) / ".scan_cache.rest.jsonl",
    "lock": lambda proj: workspace(proj) / ".lock",
}
COMMANDS = [("ls", "--json"), ("show", "t_1-of-2"), ("export", "-f", "md"), ("log", "t_1-of-2", "--plain"),
            ("compare", "t_1-of-2", "t_2-of-2")]


@pytest.fixture
def proj(tmp_path: Path) -> Iterator[Path]:
    proj = make_project(tmp_path)
    fake_finished_run(proj, "t_1-of-2", b"line\n")
    yield proj
    pyr(proj, "runner", "stop", timeout=HANG_S)


def _replace(path: Path, make: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    make(path)


def _ends_cleanly(proj: Path, *args: str) -> None:
    result = pyr(proj, *args, timeout=HANG_S)  # TimeoutExpired fails the test: a hang
    assert "Traceback" not in result.err, (args, result.err[-3000:])
    if result.code != 0:
        assert_clean_error(result, result.code)


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_special_file_in_place_of_a_workspace_file_never_hangs(proj: Path, place: str, kind: str) -> None:
    path = PLACES[place](proj)
    _replace(path, KINDS[kind])
    for args in COMMANDS:
        _ends_cleanly(proj, *args)


@pytest.mark.slow
@pytest.mark.parametrize("place", ["task_info", "config", "settings", "run_log"])
def test_the_runner_never_blocks_on_a_fifo(proj: Path, place: str) -> None:
    _replace(PLACES[place](proj), _fifo)
    result = pyr(proj, "run", "t_2-of-2", "--wait", timeout=HANG_S)
    assert "Traceback" not in result.err
    if place == "settings":
        assert_clean_error(result, 1)
        assert "_pyruns_settings.yaml is a FIFO" in result.err
    else:
        assert result.code == 0, result.err
    assert_clean_error(pyr(proj, "ls", timeout=HANG_S), 0)
    assert_clean_error(pyr(proj, "runner", "stop", timeout=HANG_S), 0)


def test_the_error_names_the_file(proj: Path) -> None:
    _replace(PLACES["config"](proj), _fifo)
    result = pyr(proj, "compare", "t_1-of-2", "t_2-of-2", timeout=HANG_S)  # (show shows it as broken:, below)
    assert_clean_error(result, 1)
    assert "config.yaml is a FIFO, not a regular file; remove it" in result.err


PLANTED_LOGS = {
    "fifo": (lambda log, outside: _fifo(log), "run1.log is a FIFO, not a regular file; remove it"),
    "socket": (lambda log, outside: _socket(log), "run1.log is a socket, not a regular file; remove it"),
    "symlink": (lambda log, outside: log.symlink_to(outside / "secret.log"), "run1.log is a symlink, not a regular file; remove it"),
    "folder_link": (lambda log, outside: (log.parent.rename(outside / "run_logs"), log.parent.symlink_to(outside / "run_logs")),
                    "run_logs is a symlink, not a folder; remove it"),
}


@pytest.mark.parametrize("kind", sorted(PLANTED_LOGS))
@pytest.mark.parametrize("flag", ["--plain", "--error", None])
def test_log_of_a_planted_run_log_names_what_stands_there(proj: Path, tmp_path: Path, kind: str, flag: str | None) -> None:
    """A FIFO or a link in place of the log (or of its folder): one line naming it, exit 1, not
    an empty log with exit 0 (nor "no Python traceback in its log")."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.log").write_bytes(b"SECRET\n")
    log = PLACES["run_log"](proj)
    log.unlink()
    plant, said = PLANTED_LOGS[kind]
    plant(log, outside)
    result = pyr(proj, "log", "t_1-of-2", *([flag] if flag else []), timeout=HANG_S)
    assert_clean_error(result, 1)
    assert "SECRET" not in result.out + result.err
    assert said in result.err and "the log of run 1 of 't_1-of-2' cannot be read: " in result.err


def _link(path: Path, target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


LINKS = {
    ".runner": lambda proj: workspace(proj) / ".runner",
    ".runner/runs": lambda proj: workspace(proj) / ".runner" / "runs",
    ".runner/runner.log": lambda proj: workspace(proj) / ".runner" / "runner.log",
    ".runner/runner.lock": lambda proj: workspace(proj) / ".runner" / "runner.lock",
    ".runner/control.json": lambda proj: workspace(proj) / ".runner" / "control.json",
    ".lock": lambda proj: workspace(proj) / ".lock",
    ".scan_cache.json": lambda proj: workspace(proj) / ".scan_cache.json",
    ".scan_cache.rest.jsonl": lambda proj: workspace(proj) / ".scan_cache.rest.jsonl",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LINKS))
def test_symlinks_inside_the_workspace_are_never_followed(proj: Path, tmp_path: Path, name: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("keep me\n")
    (outside / "victim").chmod(0o644)
    target = outside if name in (".runner", ".runner/runs") else outside / "victim"
    _link(LINKS[name](proj), target)
    before = snapshot(outside)
    for args in (("run", "t_2-of-2", "-j", "2", "--wait"), ("ls",), ("note", "t_2-of-2", "x"),
                 ("runner", "status"), ("runner", "stop")):
        _ends_cleanly(proj, *args)
    assert changed_paths(before, snapshot(outside)) == set()
    assert (outside / "victim").read_text() == "keep me\n"


WAKE_STAND_INS: dict[str, Callable[[Path, Path], None]] = {
    "symlink": lambda fifo, outside: fifo.symlink_to(outside / "victim"),
    "dangling-symlink": lambda fifo, outside: fifo.symlink_to(outside / "nothing"),
    "directory": lambda fifo, outside: fifo.mkdir(),
    "file": lambda fifo, outside: fifo.write_text("mine\n"),
}


@pytest.mark.slow  # (the runner, not woken, starts the task at its next periodic scan: seconds)
@pytest.mark.parametrize("kind", sorted(WAKE_STAND_INS))
def test_a_stand_in_for_the_runners_wake_fifo_queues_warns_and_waits(proj: Path, tmp_path: Path, kind: str) -> None:
    """Queued and run all the same (the runner rescans): exit 0, `--wait` waits, one warning line;
    nothing is written through the symlink or into the file."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("keep me\n")
    assert_clean_error(pyr(proj, "runner", "start", timeout=HANG_S), 0)
    fifo = workspace(proj) / ".runner" / "wake.fifo"
    fifo.unlink()
    WAKE_STAND_INS[kind](fifo, outside)
    before = snapshot(outside)
    result = pyr(proj, "run", "t_2-of-2", "--wait", timeout=HANG_S)
    assert_clean_error(result, 0)
    assert "1 of 1 task completed" in result.out
    warnings = [line for line in result.err.splitlines() if line.strip()]
    assert len(warnings) == 1 and warnings[0].startswith("pyr-tui: warning: "), result.err
    assert "wake.fifo is a " in warnings[0] and "not the runner's wake-up FIFO" in warnings[0]
    assert read_info(proj, "t_2-of-2")["status"] == "completed"
    assert changed_paths(before, snapshot(outside)) == set()
    assert not (outside / "nothing").exists()
    if kind == "file":
        assert not fifo.exists() or fifo.is_fifo() or fifo.read_text() == "mine\n"  # replaced, never written into


def test_gen_run_with_a_symlink_for_the_wake_fifo_queues_and_warns(proj: Path, tmp_path: Path) -> None:
    assert_clean_error(pyr(proj, "runner", "start", timeout=HANG_S), 0)
    fifo = workspace(proj) / ".runner" / "wake.fifo"
    fifo.unlink()
    fifo.symlink_to(tmp_path / "nothing")
    (proj / "spec.yaml").write_text("seed: 9\n")
    result = pyr(proj, "gen", "spec.yaml", "-n", "g", "--run", timeout=HANG_S)
    assert_clean_error(result, 0)
    assert result.out.strip() == "created and queued 1 task g"
    assert result.err.startswith("pyr-tui: warning: ") and result.err.count("\n") == 1, result.err
    assert read_info(proj, "g")["status"] in ("queued", "running", "completed")
    assert not (tmp_path / "nothing").exists()


def test_a_directory_at_the_wake_fifo_with_no_runner_is_refused_before_queueing(proj: Path) -> None:
    """No runner can start there (it would have to remove the folder): nothing is queued."""
    runner_dir = workspace(proj) / ".runner"
    runner_dir.mkdir(exist_ok=True)
    (runner_dir / "wake.fifo").mkdir()
    result = pyr(proj, "run", "t_2-of-2", "--wait", timeout=HANG_S)
    assert_clean_error(result, 1)
    assert "wake.fifo is a directory where the runner's wake-up FIFO belongs" in result.err
    assert read_info(proj, "t_2-of-2")["status"] == "pending"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


NESTED = {
    "task_info": lambda proj: (task_dir(proj, "t_1-of-2") / "task_info.json", _nested(1000)),
    "task_info_field": lambda proj: (task_dir(proj, "t_1-of-2") / "task_info.json",
                                     json.dumps({**json.loads((task_dir(proj, "t_1-of-2") / "task_info.json")
                                                              .read_text()), "notes": None})
                                     [:-1] + ', "deep": ' + _nested(990) + "}"),
    "summary": lambda proj: (task_dir(proj, "t_1-of-2") / "summary.json", '{"best": ' + _nested(1000) + "}"),
    "metrics": lambda proj: (task_dir(proj, "t_1-of-2") / "metrics.jsonl",
                             '{"t": 1, "loss": 0.5}\n{"t": 2, "loss": ' + _nested(1000) + "}\n"),
    "script_info": lambda proj: (workspace(proj) / "script_info.json", _nested(1000)),
}


@pytest.mark.parametrize("place", sorted(NESTED))
def test_deeply_nested_json_breaks_only_its_task(proj: Path, place: str) -> None:
    path, text = NESTED[place](proj)
    path.write_text(text)
    for args in COMMANDS:
        _ends_cleanly(proj, *args)
    if place != "script_info":
        listed = {t["name"]: t for t in pyr(proj, "ls", "--json").json()}
        assert listed["t_2-of-2"]["status"] == "pending"
    if place.startswith("task_info"):
        assert listed["t_1-of-2"]["reason"].startswith("broken: "), listed["t_1-of-2"]


def test_pr_summary_refuses_excessive_nesting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyruns_tui as pr
    from pyruns_tui.metrics.track import read_summary
    from pyruns_tui.script import api

    api._reset_for_tests()
    monkeypatch.setenv("PYRUNS_TASK_DIR", str(tmp_path))
    deep: list = []
    for _ in range(500):
        deep = [deep]
    pr.summary({"deep": deep, "ok": 1, "fine": [[1, 2], {"a": [3]}]})
    assert read_summary(tmp_path) == {"ok": 1, "fine": [[1, 2], {"a": [3]}]}
    pr.log({"x": deep, "y": 2.0}, step=1)  # a metric is a number: nested values are dropped
    api.flush()
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r.get("x") for r in rows] == [None] and rows[0]["y"] == 2.0


def test_a_fifo_as_the_pause_record_does_not_hang_runner_status(proj: Path) -> None:
    _replace(workspace(proj) / ".runner" / "paused.json", _fifo)
    for args in (("runner", "status"), ("runner", "status", "--json")):
        _ends_cleanly(proj, *args)


@pytest.mark.parametrize("place,text,why", ids=["summary-1000", "summary-150", "summary-garbage", "metrics-1000",
                                                "metrics-150", "metrics-garbage"], argvalues=[
    ("summary.json", '{"best": ' + _nested(1000) + "}", "nests more than 100"),
    ("summary.json", '{"best": ' + _nested(150) + "}", "nests more than 100"),
    ("summary.json", "{garbage", "Expecting"),
    ("metrics.jsonl", '{"t": 1, "loss": 0.5}\n{"t": 2, "loss": ' + _nested(1000) + "}\n", "nests more than 100"),
    ("metrics.jsonl", '{"t": 1, "loss": 0.5}\n{"t": 2, "loss": ' + _nested(150) + "}\n", "nests more than 100"),
    ("metrics.jsonl", '{"t": 1, "loss": 0.5}\n{"t": 2, "lo\n', "is not JSON"),
])
def test_a_broken_summary_or_metrics_file_is_shown_as_broken(proj: Path, place: str, text: str, why: str) -> None:
    (task_dir(proj, "t_1-of-2") / place).write_text(text)
    shown = pyr(proj, "show", "t_1-of-2")
    assert shown.code == 0 and "Traceback" not in shown.err, shown.err
    broken = [line for line in shown.out.splitlines() if line.startswith("broken:")]
    assert len(broken) == 1 and place in broken[0] and why in broken[0], shown.out
    compared = pyr(proj, "compare", "t_1-of-2", "t_2-of-2")
    assert compared.code == 0 and f"broken: {place}" in compared.out, compared.out
    assert "\nbroken:" not in pyr(proj, "show", "t_2-of-2").out


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_show_names_what_is_wrong_with_task_info(proj: Path, tmp_path: Path, kind: str) -> None:
    info = task_dir(proj, "t_2-of-2") / "task_info.json"
    info.unlink()
    if kind == "fifo":
        os.mkfifo(info)
    else:
        (tmp_path / "elsewhere.json").write_text("{}")
        info.symlink_to(tmp_path / "elsewhere.json")
    shown = pyr(proj, "show", "t_2-of-2", timeout=HANG_S)
    assert shown.code == 0, shown.err
    status = [line for line in shown.out.splitlines() if line.startswith("status:")]
    assert status and "broken: task_info.json is unreadable" in status[0], shown.out
    assert ("FIFO" if kind == "fifo" else "symlink") in status[0], status
    for args in (("note", "t_2-of-2", "x"), ("pin", "t_2-of-2")):
        result = pyr(proj, *args, timeout=HANG_S)
        assert_clean_error(result, 1)
        assert "task_info.json" in result.err, result.err


ENV_STAND_INS: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (_fifo, "run1.env.json is a FIFO, not a regular file; remove it"),
    "symlink": (lambda path: path.symlink_to("/etc/hostname"), "run1.env.json is a symlink, not a regular file"),
    "folder": (lambda path: path.mkdir(), "run1.env.json is a directory, not a regular file"),
    "garbage": (lambda path: path.write_bytes(b'{"PATH": "/bin", '), "run1.env.json is damaged, not JSON"),
    "list": (lambda path: path.write_text("[]"), "run1.env.json is damaged, not a JSON object"),
    "missing": (lambda path: None, "none was recorded ("),
}


@pytest.mark.parametrize("kind", sorted(ENV_STAND_INS))
def test_show_env_says_what_is_wrong_with_the_environment_record(proj: Path, kind: str) -> None:
    make, why = ENV_STAND_INS[kind]
    _replace(task_dir(proj, "t_1-of-2") / "run_logs" / "run1.env.json", make)
    for args in (("--env",), ("--env", "--json")):
        result = pyr(proj, "show", "t_1-of-2", *args, timeout=HANG_S)
        assert_clean_error(result, 1)
        assert result.err.startswith("pyr-tui: error: task 't_1-of-2': run 1 has no environment to show: "), result.err
        assert why in result.err and "owner-only" not in result.err, result.err  # (it said owner-only for all)


def test_show_env_of_a_task_whose_record_is_unreadable_says_so(proj: Path) -> None:
    _replace(task_dir(proj, "t_1-of-2") / "task_info.json", _fifo)
    result = pyr(proj, "show", "t_1-of-2", "--env", timeout=HANG_S)
    assert_clean_error(result, 1)
    assert result.err == ("pyr-tui: error: task 't_1-of-2': its task_info.json cannot be read, nor its runs with it "
                          "(`pyr-tui show t_1-of-2` says why)\n")  # (it said: has not run yet)


CONFIG_STAND_INS: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (_fifo, "config.yaml is a FIFO, not a regular file; remove it"),
    "not-utf8": (lambda path: path.write_bytes(b"seed: \xff\n"), "config.yaml is not UTF-8 text; fix or remove it"),
    "not-yaml": (lambda path: path.write_text("seed: [1\n"), "config.yaml:"),
}


@pytest.mark.parametrize("kind", sorted(CONFIG_STAND_INS))
def test_show_of_a_task_whose_config_cannot_be_read_shows_the_rest(proj: Path, kind: str) -> None:
    make, why = CONFIG_STAND_INS[kind]
    _replace(task_dir(proj, "t_1-of-2") / "config.yaml", make)
    shown = pyr(proj, "show", "t_1-of-2", timeout=HANG_S)
    assert_clean_error(shown, 0)  # (it printed half the task, then an error line, exit 1)
    broken = [line for line in shown.out.splitlines() if line.startswith("broken:")]
    assert len(broken) == 1 and why in broken[0], shown.out
    assert "\nruns:    1  (started in " in shown.out and "  run1: completed " in shown.out, shown.out
