"""Concurrent writers on one workspace: the runner, two CLI processes and a Pilot-driven TUI.

For RELIABILITY_SECONDS (default 10; the issue's full run is 30) they all mutate the same
workspace: the CLI writers (scripts/cli_writer.py) append notes to, pin and rerun their own
tasks (and both append their own tokens to two shared tasks), generate tasks and move them to the trash and back; the TUI appends notes (Notes dialog,
ctrl+s), pins and reruns its own tasks through the Manager's keys; the runner keeps rewriting
task_info.json of every task it runs. At the end: every file parses, no temp file is left, no
task is stuck, and every acknowledged change is on disk (no lost update).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pyruns_tui.params import yamlio
from pyruns_tui.runner import control
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.manager import ManagerScreen
from pyruns_tui.workspace.model import Status
from tests.reliability.harness import REPO
from tests.runner.harness import Project

pytestmark = pytest.mark.slow

SECONDS = float(os.environ.get("RELIABILITY_SECONDS", "10"))
WRITER = Path(__file__).with_name("scripts") / "cli_writer.py"


async def until_async(pilot: object, condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await pilot.pause(0.02)  # type: ignore[attr-defined]


async def tui_writer(project: Project, deadline: float) -> dict:
    """Drive the Manager with keys on the TUI's own tasks u0..u3 until `deadline`."""
    own = [f"u{i}" for i in range(4)]
    acks: dict[str, list[str]] = {name: [] for name in own}
    pinned: dict[str, bool] = {}
    errors: list[str] = []
    app = PyrunsApp(project.layout, start_mode="manager")
    async with app.run_test(size=(120, 40)) as pilot:
        await until_async(pilot, lambda: isinstance(app.screen, ManagerScreen)
                          and all(app.screen.table.index_of(n) is not None for n in own), 30, "the Manager")
        n = 0
        while time.monotonic() < deadline:
            n += 1
            name = own[n % len(own)]
            screen = app.screen
            assert isinstance(screen, ManagerScreen)
            entry = screen.browser.index.entries.get(name)
            # like a person, act on what the screen shows once it shows our last change
            if entry is None or not all(t in entry.task.notes for t in acks[name]):
                await until_async(pilot, lambda: (e := screen.browser.index.entries.get(name)) is not None
                                  and all(t in e.task.notes for t in acks[name]), 20, f"{name}'s notes on screen")
            screen.table.move_to(name)
            await pilot.pause()
            if screen.table.cursor_name != name:
                continue
            action = ("note", "note", "pin", "run")[n % 4]
            if action == "note":
                token = f"u{n}"
                await pilot.press("n")
                await pilot.press("enter", *token, "ctrl+s")  # the dialog opens with the cursor at the end
                await pilot.pause()
                notes = project.store.get(name).notes
                if token in notes:
                    acks[name].append(token)
                else:
                    errors.append(f"TUI note {token} on {name} not saved: {notes!r}")
            elif action == "pin":
                before = project.store.get(name).pinned
                await pilot.press("p")
                await pilot.pause()
                if project.store.get(name).pinned != before:
                    pinned[name] = not before
            else:
                await pilot.press("r")
                await pilot.pause()
        await app.workers.wait_for_complete()
    return {"acks": acks, "pinned": pinned, "errors": errors, "ops": n}


def every_file_parses(project: Project) -> None:
    ws = project.layout.workspace_dir
    for path in ws.rglob("*.json"):
        json.loads(path.read_bytes())
    for path in ws.rglob("config.yaml"):
        assert isinstance(yamlio.load_file(path) or {}, dict), path
    leftovers = [str(p) for p in ws.rglob("*.tmp")]
    assert not leftovers, leftovers


async def test_runner_two_clis_and_the_tui_lose_no_update(project: Project, tmp_path: Path) -> None:
    for prefix in ("a", "b", "u"):
        for i in range(4):
            project.add(f"{prefix}{i}", "print('ok')")
    for name in ("s0", "s1"):
        project.add(name, "print('ok')")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    deadline = time.monotonic() + SECONDS
    writers = [
        subprocess.Popen([sys.executable, str(WRITER), str(project.dir), prefix, str(SECONDS),
                          str(tmp_path / f"{prefix}.json"), str(seed)], env=env, stderr=subprocess.PIPE)
        for seed, prefix in enumerate(("a", "b"))
    ]
    try:
        tui = await tui_writer(project, deadline)
    finally:
        outputs = [w.communicate(timeout=SECONDS + 120)[1] for w in writers]
    assert all(w.returncode == 0 for w in writers), [o.decode(errors="replace")[-2000:] for o in outputs]
    results = {prefix: json.loads((tmp_path / f"{prefix}.json").read_text()) for prefix in ("a", "b")}
    results["u"] = tui

    names = [t.name for t in project.store.scan()]
    final = control.wait(project.store, names, timeout_s=120)
    every_file_parses(project)
    assert not [n for n, t in final.items() if t.status.is_active]

    for prefix, result in results.items():
        assert result["errors"] == [], (prefix, result["errors"][:5])
        for name, tokens in result["acks"].items():
            notes = project.store.get(name).notes.split("\n")
            missing = [t for t in tokens if t not in notes]
            assert not missing, f"{prefix}: acknowledged notes of {name} lost: {missing}"
        for name, value in result["pinned"].items():
            assert project.store.get(name).pinned is value, f"{prefix}: pin of {name} lost"
    for prefix in ("a", "b"):
        result = results[prefix]
        for name in result["live"]:
            assert project.store.exists(name), f"{prefix}: {name} should be live"
        for trash_name in result["trashed"]:
            assert project.layout.trashed_task_dir(trash_name).is_dir(), f"{prefix}: {trash_name} not in trash"
    ran = [t for t in final.values() if t.runs]
    assert ran and all(t.status in (Status.COMPLETED,) for t in ran), [
        (t.name, t.status, t.reason) for t in ran if t.status is not Status.COMPLETED]
    log = project.runner_paths.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    counts = {p: sum(len(v) for v in r["acks"].values()) for p, r in results.items()}
    assert all(counts.values()), counts  # every writer got changes through
    print(f"acknowledged notes {counts}; ops {[results[p]['ops'] for p in results]}", file=sys.stderr)
