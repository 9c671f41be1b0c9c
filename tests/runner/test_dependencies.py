"""`run B --after A`: dependencies and priorities with real tasks and a real runner."""

from __future__ import annotations

import json

import pytest

from pyruns_tui.runner import client, control, dependencies
from pyruns_tui.workspace.model import Status, Task, parse_iso
from tests.runner.harness import Project, until
from tests.runner.test_recovery import kill_runner


def started(task: Task) -> float:
    value = parse_iso(task.runs[0].start)
    assert value is not None
    return value


def finished(task: Task) -> float:
    value = parse_iso(task.runs[0].finish)
    assert value is not None
    return value


def test_a_chain_runs_in_order_although_slots_are_free(project: Project) -> None:
    a, b, c = (project.add(n, "import time; time.sleep(0.3)") for n in ("a", "b", "c"))
    control.queue(project.store, [c], after=[b])
    control.queue(project.store, [b], after=[a])
    control.queue(project.store, [a])
    tasks = project.wait(a, b, c)
    assert all(t.status is Status.COMPLETED for t in tasks.values())
    assert started(tasks[b]) >= finished(tasks[a]) and started(tasks[c]) >= finished(tasks[b])


def test_a_diamond_waits_for_both_branches(project: Project) -> None:
    a, b, c, d = (project.add(n, "import time; time.sleep(0.2)") for n in ("a", "b", "c", "d"))
    control.queue(project.store, [d], after=[b, c])
    control.queue(project.store, [b, c], after=[a])
    control.queue(project.store, [a])
    tasks = project.wait(a, b, c, d)
    assert all(t.status is Status.COMPLETED for t in tasks.values())
    assert started(tasks[d]) >= max(finished(tasks[b]), finished(tasks[c]))
    assert min(started(tasks[b]), started(tasks[c])) >= finished(tasks[a])


def test_a_failed_dependency_sends_its_dependents_back_to_pending_with_the_reason(project: Project) -> None:
    a = project.add("a", "raise SystemExit(3)")
    b, c = project.add("b", "print('b')"), project.add("c", "print('c')")
    control.queue(project.store, [c], after=[b])
    control.queue(project.store, [b], after=[a])
    control.queue(project.store, [a])
    tasks = project.wait(a, b, c)
    assert tasks[a].status is Status.FAILED
    assert (tasks[b].status, tasks[b].reason, tasks[b].runs) == (Status.PENDING, "dependency a failed", [])
    assert (tasks[c].status, tasks[c].reason, tasks[c].runs) == (
        Status.PENDING, "dependency b did not start (dependency a failed)", [])
    assert tasks[b].after == ["a"]  # kept: running a again and then b works


def test_waiting_is_shown_and_survives_a_runner_killed_in_the_middle(project: Project) -> None:
    code, release = project.gate("a")
    a, b = project.add("a", code), project.add("b", "print('b')")
    control.queue(project.store, [a])
    control.queue(project.store, [b], after=[a])
    until(lambda: project.task(a).status is Status.RUNNING, what="a to run")
    until(lambda: project.task(b).reason == "waiting for a", what="b to say why it waits")
    kill_runner(project)
    client.ensure_runner(project.layout)
    release()
    tasks = project.wait(a, b)
    assert tasks[a].status is Status.COMPLETED and tasks[b].status is Status.COMPLETED
    assert started(tasks[b]) >= finished(tasks[a])


def test_higher_priority_starts_first_and_fifo_within_a_priority(project: Project) -> None:
    client.set_concurrency(project.layout, 1)
    code, release = project.gate("hold")
    hold = project.add("hold", code)
    control.queue(project.store, [hold])
    until(lambda: project.task(hold).status is Status.RUNNING, what="the slot to be taken")
    low1, low2, high1, high2 = (project.add(n, "pass") for n in ("low1", "low2", "high1", "high2"))
    control.queue(project.store, [low1, low2])
    control.queue(project.store, [high1, high2], priority=5)
    release()
    tasks = project.wait(hold, low1, low2, high1, high2)
    order = sorted([low1, low2, high1, high2], key=lambda n: started(tasks[n]))
    assert order == [high1, high2, low1, low2]


def test_unknown_names_self_and_cycles_are_refused_with_one_line(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = project.add("a", "pass"), project.add("b", "pass")
    assert project.cli("run", b, "--after", "nope") == 1
    assert capsys.readouterr().err == "pyr-tui: error: --after 'nope': no such task in this workspace (see `pyr-tui ls`)\n"
    assert project.cli("run", a, "--after", a) == 1
    assert "cannot wait for itself" in capsys.readouterr().err
    control.queue(project.store, [b], after=[a], start_runner=False)
    assert project.cli("run", a, "--after", b) == 1
    assert capsys.readouterr().err == "pyr-tui: error: --after would make a cycle: a -> b -> a\n"
    assert project.task(a).status is Status.PENDING and project.task(a).after == []  # nothing written


def test_a_rerun_leaves_dependents_alone_unless_asked(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = project.add("a", "pass"), project.add("b", "pass")
    control.queue(project.store, [a])
    control.queue(project.store, [b], after=[a])
    project.wait(a, b)
    assert project.cli("run", a) == 0
    project.wait(a)
    assert len(project.task(a).runs) == 2 and len(project.task(b).runs) == 1
    assert project.cli("run", a, "--with-dependents") == 0
    tasks = project.wait(a, b)
    assert len(tasks[a].runs) == 3 and len(tasks[b].runs) == 2
    assert tasks[b].runs[1].start >= tasks[a].runs[2].finish  # type: ignore[operator]
    capsys.readouterr()
    assert project.cli("ls", "--json") == 0
    listed = {t["name"]: t for t in json.loads(capsys.readouterr().out)}
    assert listed[b]["after"] == [a] and listed[a]["after"] == []
    assert project.cli("show", a) == 0
    assert "waited for by: b" in capsys.readouterr().out


def test_dependency_rules() -> None:
    state = {"a": (Status.COMPLETED, None), "b": (Status.RUNNING, None), "c": (Status.INTERRUPTED, "stopped"),
             "p": (Status.PENDING, None)}.get
    assert dependencies.readiness(["a"], state).ready
    assert dependencies.readiness(["a", "b", "p"], state).reason == "waiting for b, p (not queued)"
    assert dependencies.readiness(["c", "b"], state).reason == "dependency c was interrupted"
    assert dependencies.readiness(["gone"], state).reason == "dependency gone no longer exists"
    graph = {"a": [], "b": ["a"], "c": ["b"], "d": []}
    assert dependencies.dependents_of(["a"], graph) == ["b", "c"]
    with pytest.raises(Exception, match="cycle: a -> c -> b -> a"):
        dependencies.check_after(["a"], ["c"], graph)
