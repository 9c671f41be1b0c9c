"""The circuit breaker and retries with real failing tasks and a real runner."""

from __future__ import annotations

import json

import pytest

from pyruns_tui.runner import client, control
from pyruns_tui.runner.breaker import CircuitBreaker
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.settings import PauseRule
from tests.runner.harness import Project

BROKEN_IMPORT = "import torchvision_transforms_v9\nprint('never')"


def _statuses(project: Project, names: list[str]) -> dict[Status, int]:
    counts: dict[Status, int] = {}
    for name in names:
        status = project.task(name).status
        counts[status] = counts.get(status, 0) + 1
    return counts


def test_a_batch_with_a_broken_import_trips_the_breaker_after_3_and_17_stay_queued(project: Project, capsys) -> None:
    client.set_concurrency(project.layout, 1)
    names = [project.add(f"sweep_{i:02d}", BROKEN_IMPORT) for i in range(20)]
    control.queue(project.store, names)
    tasks = project.wait(*names)  # returns once only paused, queued tasks are left
    assert _statuses(project, names) == {Status.FAILED: 3, Status.QUEUED: 17}
    assert [n for n in names if tasks[n].status is Status.FAILED] == names[:3]
    error = "ModuleNotFoundError: No module named 'torchvision_transforms_v9'"
    assert all(tasks[n].runs[0].error == error for n in names[:3])
    pause = control.paused(project.layout)
    assert pause is not None and pause.tasks == tuple(names[:3])

    capsys.readouterr()
    assert project.cli("runner", "status") == 0
    assert f'paused: 3 tasks failed with "{error}"' in capsys.readouterr().out
    late = project.add("late", "print('ok')")  # queued while paused: said (it printed "queued 1 task(s)" alone)
    assert project.cli("run", late) == 0
    assert "the queue is paused" in capsys.readouterr().err and project.task(late).status is Status.QUEUED
    spec = project.dir / "late.yaml"
    spec.write_text("command: echo {x}\nparams:\n  x: 1\n")
    assert project.cli("gen", str(spec), "-n", "late_gen", "--run") == 0  # `gen --run` says it too
    assert "the queue is paused" in capsys.readouterr().err
    assert project.cli("runner", "status", "--json") == 0
    assert json.loads(capsys.readouterr().out)["paused"]["count"] == 3

    assert project.cli("runner", "resume") == 0
    assert "resumed" in capsys.readouterr().out
    assert control.paused(project.layout) is None
    project.wait(*names)  # the counts start again: three more fail, then it pauses again
    assert _statuses(project, names) == {Status.FAILED: 6, Status.QUEUED: 14}
    assert control.paused(project.layout) is not None


def test_different_errors_or_a_success_in_between_do_not_trip_it(project: Project) -> None:
    client.set_concurrency(project.layout, 1)
    names = [
        project.add("a1", BROKEN_IMPORT), project.add("a2", BROKEN_IMPORT),
        project.add("ok", "print('fine')"),
        project.add("a3", BROKEN_IMPORT),
        project.add("b1", "raise ValueError('x')"), project.add("a4", BROKEN_IMPORT),
    ]
    control.queue(project.store, names)
    project.wait(*names)
    assert control.paused(project.layout) is None
    assert _statuses(project, names) == {Status.FAILED: 5, Status.COMPLETED: 1}


def test_force_started_tasks_still_start_while_paused(project: Project) -> None:
    client.set_concurrency(project.layout, 1)
    names = [project.add(f"t{i}", BROKEN_IMPORT) for i in range(4)]
    control.queue(project.store, names)
    project.wait(*names)
    assert project.task("t3").status is Status.QUEUED
    late = project.add("late", "print('forced')")
    control.force_start(project.store, [late])
    assert project.wait(late)[late].status is Status.COMPLETED
    assert project.task("t3").status is Status.QUEUED


def test_breaker_rule_counts_only_early_failures_of_distinct_tasks() -> None:
    breaker = CircuitBreaker(PauseRule(count=2, within_s=60))
    assert breaker.failed("a", "KeyError: 'x'", 120.0).trip is None  # late: not counted
    first = breaker.failed("a", "OOM after 20 MiB", 1.0)
    assert not first.deterministic and first.trip is None
    again = breaker.failed("a", "OOM after 40 MiB", 1.0)  # same task again: deterministic, not a trip
    assert again.deterministic and again.trip is None
    trip = breaker.failed("b", "OOM after 80 MiB", 2.0).trip
    assert trip is not None and trip.tasks == ("a", "b") and trip.message == '2 tasks failed with "OOM after 80 MiB"'
    off = CircuitBreaker(PauseRule(count=0))
    assert all(off.failed(t, "E", 0.1).trip is None for t in "abcdef")


def test_a_transient_failure_is_retried_as_a_new_run(project: Project, capsys) -> None:
    marker = project.dir / "first-try-done"
    code = (f"import pathlib\np = pathlib.Path({str(marker)!r})\n"
            "if not p.exists():\n    p.touch()\n    raise ConnectionError('NCCL timeout talking to rank 3')\n"
            "print('trained')")
    name = project.add("flaky", code)
    assert project.cli("run", name, "--retries", "2", "--retry-on", "Connection|NCCL", "--wait") == 0
    task = project.task(name)
    assert task.status is Status.COMPLETED and task.retries == 2
    assert [(r.index, r.status, r.retry_of) for r in task.runs] == [(1, Status.FAILED, None), (2, Status.COMPLETED, 1)]
    assert task.runs[0].error == "ConnectionError: NCCL timeout talking to rank 3"


def test_retries_stop_at_a_deterministic_failure_and_follow_retry_on(project: Project) -> None:
    always = project.add("always", BROKEN_IMPORT)
    other = project.add("other", "raise KeyError('lr')")
    control.queue(project.store, [always], retries=control.Retries(5))
    control.queue(project.store, [other], retries=control.Retries(5, "NCCL"))
    tasks = project.wait(always, other)
    # run 2 failed early with the error run 1 had: deterministic, no third run
    assert [(r.index, r.retry_of) for r in tasks[always].runs] == [(1, None), (2, 1)]
    assert [r.index for r in tasks[other].runs] == [1]  # KeyError does not match NCCL


def test_retries_usage_errors(project: Project, capsys) -> None:
    name = project.add("x", "pass")
    for args in (["--retries", "-1"], ["--retries", "1", "--retry-on", "("]):
        with pytest.raises(SystemExit) as exit_:
            project.cli("run", name, *args)
        assert exit_.value.code == 2
    assert "not a valid regular expression" in capsys.readouterr().err
    assert project.cli("run", name, "--retry-on", "x") == 2
    assert "--retry-on needs --retries" in capsys.readouterr().err
    assert project.task(name).status is Status.PENDING


def test_a_retry_on_that_backtracks_for_ever_holds_nothing(project: Project) -> None:
    # `(a+)+$` against forty a's and a `!` backtracks for days; the runner matched it on its loop:
    # every other task of the workspace (and its lock) waited for as long
    redos = project.add("redos", "raise ValueError('a' * 40 + '!')")
    control.queue(project.store, [redos], retries=control.Retries(1, r"^ValueError: (a+)+$"))
    project.wait(redos)
    after = project.add("after", "print('fine')")
    control.queue(project.store, [after])
    tasks = project.wait(redos, after)
    assert tasks[after].status is Status.COMPLETED
    assert [r.index for r in tasks[redos].runs] == [1]  # the match gave up: no retry
