"""Terminal escapes planted in notes, task names, params, config, reasons, metric names and the
environment never reach the user's terminal: not through `show`/`ls`/`export` on a real pty,
not through the Manager's table and detail pane. Piped output keeps the data exact."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyruns_tui.printable import printable
from tests.reliability.harness import cli_env, make_project, pyr, read_info, task_dir, write_info

# OSC 52 (clipboard), OSC 0 (title), clear screen, CSI as one C1 byte, BEL, bidi override
PAYLOADS = ["\x1b]52;c;cHduZWQ=\x07", "\x1b]0;PWNED\x07", "\x1b[2J\x1b[H", "\x9b31m", "\x07", "\u202eevil", "\x1bP+q\x1b\\"]
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _plant(proj: Path) -> str:
    """Escapes in every user-controlled string of task t_1-of-2; returns a task name holding one."""
    evil = "".join(PAYLOADS)
    assert pyr(proj, "note", "t_1-of-2", evil).code == 0
    spec = proj / "spec.yaml"
    spec.write_text("tag: " + json.dumps(evil) + "\n")
    assert pyr(proj, "gen", str(spec), "-n", "esc").code == 0
    info = read_info(proj, "t_1-of-2")
    info.update(status="failed", reason=evil, runs=[{
        "index": 1, "status": "failed", "reason": evil, "exit_code": 1, "python": evil,
        "env": {"X" + PAYLOADS[0]: evil}, "start": info["created_at"], "finish": info["created_at"]}])
    write_info(proj, "t_1-of-2", info)
    (task_dir(proj, "t_1-of-2") / "metrics.jsonl").write_text(json.dumps({"t": 1, "l\x1b[2Jx": 1.0}) + "\n")
    (task_dir(proj, "t_1-of-2") / "summary.json").write_text(json.dumps({"s\x1b]0;T\x07": evil}))
    name = "bad\x1b]0;TITLE\x07name"
    shutil.copytree(task_dir(proj, "t_2-of-2"), task_dir(proj, name))
    assert pyr(proj, "pin", "--param", "tag").code in (0, 1, 2)
    return name


def _on_a_tty(proj: Path, *args: str, check: bool = True) -> bytes:
    """The bytes `pyr-tui ARGS` writes to a real terminal (a pty); `check`: it must exit 0."""
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pyruns_tui", *args], cwd=proj, stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL, env=cli_env(proj.parent / "home", {"COLUMNS": "200"}))
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait(timeout=60)
    assert code == 0 or not check, b"".join(chunks)[-2000:]
    return b"".join(chunks)


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def test_cli_output_to_a_terminal_holds_no_escapes(proj: Path) -> None:
    name = _plant(proj)
    for args in (("show", "t_1-of-2"), ("show", name), ("ls",), ("ls", "--json"), ("export", "-f", "md"),
                 ("export", "-f", "csv"), ("export", "-f", "json"), ("ls", "--trash")):
        out = _on_a_tty(proj, *args).decode("utf-8", "replace")
        assert not UNSAFE.search(out.replace("\r\n", "\n").replace("\n", "").replace("\t", "")), (args, out[:3000])
    assert "\\x1b]52;c;cHduZWQ=\\x07" in _on_a_tty(proj, "show", "t_1-of-2").decode()  # shown, not obeyed


def test_piped_export_keeps_the_data_exact(proj: Path) -> None:
    _plant(proj)
    out = pyr(proj, "export", "-f", "json").json()
    assert any(row.get("tag") == "".join(PAYLOADS) for row in out)


def test_manager_cells_and_detail_pane_hold_no_escapes(proj: Path) -> None:
    from rich.console import Console

    from pyruns_tui.tui.models.columns import build_columns, cells
    from pyruns_tui.tui.widgets.manager.detail_pane import detail_renderable
    from pyruns_tui.workspace.select import select_tasks
    from pyruns_tui.workspace.store import TaskStore

    _plant(proj)
    store = TaskStore.open(proj / "_pyruns_", "train")
    columns = build_columns(["tag", "x\x1b[2J"], ["l\x1b[2Jx"])
    assert not any(UNSAFE.search(c.label) for c in columns)
    for view in select_tasks(store, ""):
        for text, _ in cells(columns, view, 0.0):
            assert not UNSAFE.search(text), text
        console = Console(record=True, width=200, force_terminal=False, color_system=None)
        console.print(detail_renderable(view.task, "Config", "tag: " + "".join(PAYLOADS) + "\n"))
        shown = console.export_text()
        assert not UNSAFE.search(shown.replace("\n", "")), shown


@pytest.mark.parametrize("payload", PAYLOADS)
def test_printable_shows_every_control_character(payload: str) -> None:
    assert not UNSAFE.search(printable(payload))
    assert printable("plain é 中 \U0001f600") == "plain é 中 \U0001f600"
    assert printable("a\nb\tc", multiline=True) == "a\nb\tc"


def test_compare_shows_metric_names_and_summary_escaped_on_a_terminal_and_in_a_pipe(proj: Path) -> None:
    # compare's text printed metric names and summary keys/values raw: in a pipe (`| less -R`) the
    # escapes acted, and a metric named "new\nline" split the "only in A" line even on a terminal
    name = _plant(proj)
    with open(task_dir(proj, "t_1-of-2") / "metrics.jsonl", "a", encoding="utf-8") as stream:
        stream.write(json.dumps({"t": 2, "new\nline": 2.0, "\x1b]0;pwned\x07\x1b[31mevil": 1.0}) + "\n")
    for out in (_on_a_tty(proj, "compare", "t_1-of-2", name).decode("utf-8", "replace").replace("\r\n", "\n"),
                pyr(proj, "compare", "t_1-of-2", name).out):
        assert not UNSAFE.search(out.replace("\n", "")), out
        assert "  only in A: l\\x1b[2Jx, new\\x0aline, \\x1b]0;pwned\\x07\\x1b[31mevil" in out.splitlines(), out
        assert any(line.startswith("  s\\x1b]0;T\\x07  \\x1b]52;c;") for line in out.splitlines()), out


def _tty_output(proj: Path, *args: str) -> str:
    """What `pyr-tui ARGS` writes to a real terminal (stdout and stderr), whatever its exit code."""
    return _on_a_tty(proj, *args, check=False).decode("utf-8", "replace")


def test_every_command_writes_no_escapes_to_a_terminal(proj: Path) -> None:
    name = _plant(proj)
    runs = [("note", name, "x"), ("note", "-a", "t_1-of-2", "more"), ("pin", name), ("pin", name),
            ("compare", "t_1-of-2", name), ("compare", "--json", "t_1-of-2", name), ("stop", "t_1-of-2"),
            ("stop", name), ("log", "t_1-of-2"), ("log", "--plain", "t_1-of-2"), ("runner", "status"),
            ("show", "--json", name), ("show", name + "\u202ex"), ("note", "t_1-of-2\x1b[2J", "x"),
            ("export", "--best", "l\x1b[2Jx"), ("ls", "status:failed"), ("ls", "--errors"),
            ("rm", name), ("ls", "--trash"), ("restore", name), ("run", name, "t_1-of-2"), ("wait", name, "t_1-of-2"),
            ("runner", "stop")]
    for args in runs:
        out = _tty_output(proj, *args)
        assert "Traceback" not in out, (args, out[-3000:])
        assert not UNSAFE.search(out.replace("\r\n", "\n").replace("\n", "").replace("\t", "")), (args, out[:3000])
