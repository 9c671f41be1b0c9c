"""The runner reads running tasks' output: progress sidecar and metrics from output lines."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pyruns_tui.logs.output_metrics import DEFAULT_RULES, MetricRules
from pyruns_tui.metrics.track import MetricsReader
from pyruns_tui.runner.daemon import output_watch
from pyruns_tui.runner.daemon.output_watch import OutputWatch, OutputWatches
from pyruns_tui.runner.daemon.proc import ExitWatch
from pyruns_tui.runner.daemon.supervisor import OUTPUT_MESSAGE
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.progress_file import RunProgress, read_run_progress
from tests.runner.harness import Project, project, py, until  # noqa: F401 - the fixture
from tests.waiting import gate_code

FIXTURES = Path(__file__).resolve().parent.parent / "logs" / "fixtures" / "progress"


def watch_of(tmp_path: Path, run: int = 1) -> tuple[OutputWatch, Path]:
    log = tmp_path / "run_logs" / f"run{run}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.touch()
    return OutputWatch(tmp_path, run, log, MetricRules(DEFAULT_RULES.items()), started_at=100.0), log


def output_rows(task_dir: Path) -> list[dict[str, object]]:
    path = task_dir / "metrics.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_recorded_nested_tqdm_gives_progress_and_each_printed_metric_once(tmp_path: Path) -> None:
    watch, log = watch_of(tmp_path)
    data = (FIXTURES / "tqdm_nested_mid.bin").read_bytes()
    for start in range(0, len(data), 997):  # polled while it grows, in odd pieces
        with log.open("ab") as out:
            out.write(data[start:start + 997])
        watch.poll(now=101.0 + start / 1000)
    progress = read_run_progress(tmp_path)
    assert progress is not None and progress.run == 1
    assert (progress.progress, progress.progress_label, progress.rate) == (0.36, "epochs 3/10 · epoch 3 120/200", 679.49)
    rows = output_rows(tmp_path)
    assert [{k: v for k, v in r.items() if k != "t"} for r in rows] == [
        {"source": "output", "loss": 1.0, "val_acc": 0.5},
        {"source": "output", "loss": 0.5, "val_acc": 0.55},
        {"source": "output", "loss": 0.333, "val_acc": 0.6},
    ]


def fed(tmp_path: Path, fixture: str, chunk: int) -> RunProgress | None:
    """The sidecar once the recorded output `fixture` reached the log `chunk` bytes a poll."""
    watch, log = watch_of(tmp_path)
    data = (FIXTURES / fixture).read_bytes()
    for start in range(0, len(data), chunk):
        with log.open("ab") as out:
            out.write(data[start:start + chunk])
        watch.poll(now=101.0 + start / 1000)
    return read_run_progress(tmp_path)


def test_a_lightning_validation_bar_leaves_the_sidecar_on_the_epoch(tmp_path: Path) -> None:
    # Lightning's `Validation DataLoader 0` bar below the epoch's bar: the sidecar read 3/8 of it
    progress = fed(tmp_path, "lightning_val.bin", 997)
    assert progress is not None and (progress.progress, progress.progress_label) == (1.0, "Epoch 2 32/32")
    assert {name for row in output_rows(tmp_path) for name in row} == {"t", "source", "train_loss", "val_loss"}


def test_a_bar_line_settling_then_live_again_appends_no_value_twice(tmp_path: Path) -> None:
    # Lightning's epoch bar: sampled live, then above the cursor while the validation bar runs
    # below it (settled), then live again once that bar is gone (leave=False), redrawn with the
    # same `train_loss`: that value was appended a second time (0.419 at the epoch's end, again
    # with val_loss; 0.269 twice a second apart)
    fed(tmp_path, "lightning_val.bin", 997)
    series = [row["train_loss"] for row in output_rows(tmp_path) if "train_loss" in row]
    assert series and all(a != b for a, b in zip(series, series[1:])), series


def test_rich_tasks_redrawn_in_place_give_the_overall_task(tmp_path: Path) -> None:
    # rich redraws its overall and epoch tasks with cursor-up: the sidecar read the epoch's 60 %
    progress = fed(tmp_path, "rich_overall.bin", 4093)
    assert progress is not None and (progress.progress, progress.progress_label) == (0.3, "Overall 30% · Epoch 3 60%")


def test_a_status_percentage_is_progress_not_a_metric(tmp_path: Path) -> None:
    # `Extracting: 45 %` redrawn in place was a metric `Extracting` charted from 5 to 45
    watch, log = watch_of(tmp_path)
    log.write_bytes(b"".join(b"\rExtracting: %d %%" % n for n in range(5, 50, 10)) + b"\n")
    watch.poll(now=101.0, final=True)
    progress = read_run_progress(tmp_path)
    assert progress is not None and (progress.progress, progress.progress_label) == (0.45, "Extracting 45 %")
    assert output_rows(tmp_path) == []


def test_a_run_whose_start_is_not_known_yet_gets_an_eta_from_its_first_output(tmp_path: Path) -> None:
    """A Slurm run squeue says is running before its launcher's record gives its start."""
    log = tmp_path / "run_logs" / "run1.log"
    log.parent.mkdir(parents=True)
    log.write_bytes(b"epoch 1/4 done\n")
    watch = OutputWatch(tmp_path, 1, log, MetricRules(DEFAULT_RULES.items()), started_at=None)
    watch.poll(now=200.0)  # the first output: the start, as far as is known
    with log.open("ab") as out:
        out.write(b"epoch 2/4 done\n")
    watch.poll(now=210.0)
    progress = read_run_progress(tmp_path)
    assert progress is not None and progress.progress == 0.5 and progress.eta_s == 10.0
    watch.know_start(190.0)  # the record's start replaces the estimate, once
    watch.know_start(195.0)
    assert watch.started_at == 190.0
    with log.open("ab") as out:
        out.write(b"loss=0.5\n")
    watch.poll(now=210.0)
    progress = read_run_progress(tmp_path)
    assert progress is not None and progress.eta_s == 20.0


def test_a_live_bar_postfix_is_sampled_when_it_changes(tmp_path: Path) -> None:
    watch, log = watch_of(tmp_path)
    log.write_bytes(b"train:  10%|#    | 1/10 [00:01<00:09, 1.00it/s, loss=0.9]")
    watch.poll(now=101.0)
    watch.poll(now=102.0)  # nothing new: nothing appended
    with log.open("ab") as out:
        out.write(b"\rtrain:  20%|##   | 2/10 [00:02<00:08, 1.00it/s, loss=0.8]")
    watch.poll(now=103.0)
    with log.open("ab") as out:
        out.write(b"\rtrain: 100%|#####| 10/10 [00:10<00:00, 1.00it/s, loss=0.8]\ndone\n")
    watch.poll(now=104.0, final=True)
    assert [r["loss"] for r in output_rows(tmp_path)] == [0.9, 0.8]
    assert read_run_progress(tmp_path) == RunProgress(1, 1.0, "train 10/10", 1.0, 0.0, 10.0, updated_at=104.0)


def test_a_live_bar_postfix_gives_a_row_a_second_however_often_the_log_is_read(tmp_path: Path) -> None:
    """The log of a run that prints is read every FOLLOW_S (0.25 s): its bar's postfix is
    still sampled once a second (metrics.jsonl does not grow 4x), and a value that changed
    between two samples is appended at the next one even when nothing else comes."""
    watch, log = watch_of(tmp_path)
    log.write_bytes(b"train:  10%|#    | 1/10 [00:01<00:09, 1.00it/s, loss=0.9]")
    watch.poll(now=101.0)
    with log.open("ab") as out:
        out.write(b"\rtrain:  20%|##   | 2/10 [00:02<00:08, 1.00it/s, loss=0.8]")
    watch.poll(now=101.25)
    assert [r["loss"] for r in output_rows(tmp_path)] == [0.9]
    assert read_run_progress(tmp_path) is not None and read_run_progress(tmp_path).progress == 0.2  # progress at once
    watch.poll(now=101.5)  # nothing new, not a second yet
    watch.poll(now=102.0)  # nothing new: the postfix seen at 101.25 is sampled now
    assert [r["loss"] for r in output_rows(tmp_path)] == [0.9, 0.8]


def test_a_live_bar_postfix_naming_its_step_gives_rows_at_that_step(tmp_path: Path) -> None:
    watch, log = watch_of(tmp_path)
    log.write_bytes(b"train:  10%|#    | 1/10 [00:01<00:09, 1.00it/s, step=100, loss=0.9]")
    watch.poll(now=101.0)
    with log.open("ab") as out:
        out.write(b"\rtrain:  20%|##   | 2/10 [00:02<00:08, 1.00it/s, step=200, loss=0.9]")
    watch.poll(now=102.0)  # only the step changed: no new point
    with log.open("ab") as out:
        out.write(b"\rtrain:  30%|###  | 3/10 [00:03<00:07, 1.00it/s, step=300, loss=0.8]\n")
    watch.poll(now=103.0, final=True)
    assert [{k: v for k, v in r.items() if k != "t"} for r in output_rows(tmp_path)] == [
        {"source": "output", "step": 100, "loss": 0.9}, {"source": "output", "step": 300, "loss": 0.8}]


def test_a_flood_is_skipped_to_its_tail(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(output_watch, "MAX_READ", 1000)
    monkeypatch.setattr(output_watch, "TAIL_READ", 100)
    watch, log = watch_of(tmp_path)
    log.write_bytes(b"x" * 50 + b"\n" + b"loss=1.0\n" * 500 + b"step 7/10 loss=0.5\n")
    watch.poll(now=101.0)
    assert watch.skipped_bytes > 0 and watch.offset == log.stat().st_size
    assert read_run_progress(tmp_path).progress_label == "step 7/10"  # type: ignore[union-attr]
    assert output_rows(tmp_path)[-1]["loss"] == 0.5


@pytest.mark.parametrize("rules", [DEFAULT_RULES, {}])
def test_a_counter_seen_at_zero_is_remembered_after_it_scrolled_off(tmp_path: Path, rules: dict[str, str]) -> None:
    # pytorch/examples dcgan counts its epochs from 0 (`[0/25]` .. `[24/25]`); the 0 is off the
    # 50-line screen within a second, and its last epoch read as the 24th: 96 % at its end
    watch, log = watch_of(tmp_path)
    watch.rules = MetricRules(rules.items())

    def lines(epoch: int, batches: range) -> bytes:
        return "".join(f"[{epoch}/25][{b}/782] Loss_D: 0.6011 Loss_G: 2.3207 D(x): 0.7713\n"
                       for b in batches).encode()
    log.write_bytes(lines(0, range(0, 200)))  # the 0 scrolled off before the first poll
    watch.poll(now=101.0)
    with log.open("ab") as out:
        out.write(lines(24, range(700, 782)))
    watch.poll(now=103.0)
    progress = read_run_progress(tmp_path)
    assert progress is not None and progress.progress_label == "24/25 · 781/782"
    assert progress.progress == round((24 + 781 / 782) / 25, 6)


def test_an_adopted_run_appends_only_what_comes_after(tmp_path: Path) -> None:
    log = tmp_path / "run_logs" / "run1.log"
    log.parent.mkdir()
    log.write_bytes(b"loss=0.9\nstep 3/10 loss=0.8\n")  # read by the runner that started the run
    watch = OutputWatch(tmp_path, 1, log, MetricRules(DEFAULT_RULES.items()), resume=True)
    watch.poll(now=101.0)
    assert output_rows(tmp_path) == []
    assert read_run_progress(tmp_path).progress_label == "step 3/10"  # type: ignore[union-attr]
    with log.open("ab") as out:
        out.write(b"step 4/10 loss=0.7\n")
    watch.poll(now=102.0)
    assert [r["loss"] for r in output_rows(tmp_path)] == [0.7]


def test_pr_log_wins_over_output_for_the_same_name(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"t":1,"source":"output","loss":9.0,"acc":0.5}\n{"t":2,"step":3,"loss":0.25}\n'
                    '{"t":3,"source":"output","loss":8.0,"acc":0.6}\n')
    reader = MetricsReader(path)
    reader.poll()
    assert reader.series("loss") == [(3, 0.25, None)]
    assert [v for _, v, _ in reader.series("acc")] == [0.5, 0.6]


def test_a_config_echo_gives_no_metric_and_the_config_is_read_once(tmp_path: Path) -> None:
    reads: list[int] = []

    def config() -> dict[str, object]:
        reads.append(1)
        return {"model.hidden": 128, "lr": 0.001, "seed": 0}

    log = tmp_path / "run_logs" / "run1.log"
    log.parent.mkdir(parents=True)
    log.write_bytes(b"starting\r\nNamespace(hidden=128, lr=0.001, seed=0, name='x')\r\n"
                    b"epoch 1/2 loss=0.5 lr=0.001\r\nhidden=64\r\nhidden=128\r\n"
                    b"step=300 lr=0.001\r\n")  # an echo with its step: the step is no metric (it was kept)
    watch = OutputWatch(tmp_path, 1, log, MetricRules(DEFAULT_RULES.items()), started_at=100.0, config=config)
    watch.poll(now=101.0, final=True)
    assert [{k: v for k, v in r.items() if k != "t"} for r in output_rows(tmp_path)] == [
        {"source": "output", "loss": 0.5, "lr": 0.001}, {"source": "output", "hidden": 64}]
    assert reads == [1]


def test_runner_reads_no_metric_from_a_real_tasks_config_echo(project: Project) -> None:
    from pyruns_tui.workspace.store import NewTask

    # print(args) of an argparse script: each number in it became a chart, an export column and
    # a search term beside the parameter itself
    code = ("print('Namespace(hidden=128, lr=0.001, seed=0)', flush=True)\n"
            "print('epoch 1/2 loss=0.5', flush=True)\n")
    (task,) = project.store.create_tasks([NewTask("echo", {"model": {"hidden": 128}, "lr": 0.001, "seed": 0},
                                                  command=py(code))], task_kind="shell", script=None)
    assert project.cli("run", task.name, "--wait") == 0
    rows = output_rows(project.layout.task_dir(task.name))
    assert [{k: v for k, v in r.items() if k != "t"} for r in rows] == [{"source": "output", "loss": 0.5}], rows


def test_runner_writes_progress_and_output_metrics_of_a_running_task(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    gate = project.dir / "gate"
    code = (
        "print('epoch 1/4 loss=0.75', flush=True)\n"
        "print('epoch 2/4', flush=True)\n"  # a heading: epoch 2 in progress, 1 done
        + gate_code(gate)
        + "print('epoch 2/4 loss=0.5 val_acc 0.81', flush=True)\n"
    )
    name = project.add("job", code)
    assert project.cli("run", name) == 0
    task_dir = project.layout.task_dir(name)
    until(lambda: read_run_progress(task_dir, run=1) is not None, what="the progress sidecar")
    progress = read_run_progress(task_dir, run=1)
    assert progress is not None and (progress.progress, progress.progress_label) == (0.25, "epoch 2/4")
    capsys.readouterr()
    assert project.cli("ls", "--json") == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["progress"], listed["progress_label"], listed["rate"]) == (0.25, "epoch 2/4", None)
    assert listed["eta_s"] is not None and listed["eta_s"] >= 0
    assert project.cli("ls") == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[5:7] == ["PROGRESS", "ETA"] and "█▌      25%" in row
    gate.touch()
    project.wait(name)
    reader = MetricsReader.for_task(task_dir)
    assert [v for _, v, _ in reader.series("loss")] == [0.75, 0.5]
    assert [v for _, v, _ in reader.series("val_acc")] == [0.81]


def test_runner_records_the_step_an_output_line_names(project: Project) -> None:
    # `step=10 loss=...`: the step was written as a float (10.0) that every reader skipped as a
    # reserved name, so the loss was charted and exported against its row number
    code = ("for i in range(1, 5):\n"
            "    print(f'step={i * 10} loss={1 / i:.3f}', flush=True)\n"
            "print('Iteration 50: loss 0.125 t=0.5', flush=True)\n"
            "print('done loss=0.1', flush=True)\n")
    name = project.add("job", code)
    assert project.cli("run", name, "--wait") == 0
    task_dir = project.layout.task_dir(name)
    rows = [{k: v for k, v in r.items() if k not in ("t", "source")} for r in output_rows(task_dir)]
    assert rows == [{"step": 10, "loss": 1.0}, {"step": 20, "loss": 0.5}, {"step": 30, "loss": 0.333},
                    {"step": 40, "loss": 0.25}, {"step": 50, "loss": 0.125, "t_": 0.5}, {"loss": 0.1}], rows
    assert all(type(r["step"]) is int for r in rows[:5])
    reader = MetricsReader.for_task(task_dir)
    assert [(s, v) for s, v, _ in reader.series("loss")] == [(10, 1.0), (20, 0.5), (30, 0.333), (40, 0.25),
                                                            (50, 0.125), (5, 0.1)]  # the last line names none
    assert reader.stepped("loss") == (5, 6)
    stats = reader.stats()["loss"]
    assert (stats.argmax_step, stats.argmin_step) == (10, 5)
    assert reader.series("t_") == [(50, 0.5, None)]


def test_export_has_output_metrics_and_the_progress_of_an_unfinished_run(project: Project) -> None:
    from pyruns_tui.metrics.export import export_rows
    from pyruns_tui.workspace.select import select_tasks

    code = ("import sys\n"
            "for epoch in (1, 2):\n"
            "    print(f'epoch {epoch}/4 loss={1 / epoch:.2f}', flush=True)\n"
            "sys.exit(3)\n")
    failed = project.add("broken", code)
    done = project.add("fine", "print('epoch 4/4 loss=0.25')")
    assert project.cli("run", failed, done, "--wait") == 1
    records = {r["name"]: r for r in export_rows(project.store, select_tasks(project.store)).records()}
    assert (records["broken"]["status"], records["broken"]["progress"]) == ("failed", 0.5)
    assert (records["broken"]["loss.last"], records["broken"]["loss.min"], records["broken"]["loss.max"]) == (0.5, 0.5, 1.0)
    assert (records["fine"]["progress"], records["fine"]["loss.last"]) == (None, 0.25)  # completed: no progress


@pytest.mark.parametrize("setting", [None, "output_metrics: false"])
def test_output_metrics_false_reads_no_metric_from_a_real_task(project: Project, setting: str | None) -> None:
    if setting is not None:
        with project.layout.settings_file.open("a") as out:
            out.write(f"{setting}\n")
    name = project.add("job", "print('epoch 1/2 loss=0.1', flush=True)")
    assert project.cli("run", name, "--wait") == 0
    rows = output_rows(project.layout.task_dir(name))
    if setting is None:
        assert [(r["source"], r["loss"]) for r in rows] == [("output", 0.1)]
    else:
        assert rows == []


def test_a_run_that_prints_is_read_at_once_and_again_while_its_log_grows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Monitor's header lagged its log by up to 2 s: the runner read every log once a
    second. Here that look (POLL_S) never comes: the supervisor's word that the task printed
    after a pause (`output_came`, from the run's control channel) has the log read at once, and
    while it grows it is read again every FOLLOW_S, with no word."""
    monkeypatch.setattr(output_watch, "POLL_S", 3600.0)
    layout = Layout(root=tmp_path, name="_shell_")
    log = layout.run_log("job", 1)
    log.parent.mkdir(parents=True)
    log.write_bytes(b"")
    seen: list[str] = []

    def label() -> str:
        progress = read_run_progress(layout.task_dir("job"), run=1)
        return "" if progress is None else progress.progress_label

    async def scenario() -> None:
        outputs = OutputWatches(layout, seen.append)
        outputs.loop = asyncio.get_running_loop()
        outputs.add("job", 1, started_at=time.time())
        try:
            with log.open("ab", buffering=0) as out:
                out.write(b"epoch 1/10\n")
                outputs.output_came("job")  # what the run's ExitWatch calls on the worker's `output`
                await until_async(lambda: label() == "epoch 1/10", "the sidecar after the supervisor's word")
                out.write(b"epoch 2/10\n")  # still flowing: no word, the follow-up look reads it
                await until_async(lambda: label() == "epoch 2/10", "the sidecar while the log grows")
        finally:
            outputs.close()

    asyncio.run(scenario())
    assert seen == []  # nothing went wrong reading it


def test_the_workers_output_message_reaches_the_runs_watch(tmp_path: Path) -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    told: list[str] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        watch = ExitWatch(loop, os.getpid(), lambda: told.append("exit"), channel=ours.detach(),
                          on_output=lambda: told.append("output"))
        try:
            theirs.send(OUTPUT_MESSAGE)
            await until_async(lambda: told == ["output"], "the output message")
            theirs.close()  # the worker closes its end as the run ends
            await until_async(lambda: told == ["output", "exit"], "the run's end")
        finally:
            watch.close()

    asyncio.run(scenario())


async def until_async(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Let the loop run until `condition()` holds; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:g}s waiting for {what}"
        await asyncio.sleep(0.01)


def test_runs_printing_all_the_time_share_the_looks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a growing log every FOLLOW_S costs a sidecar write each time: 8 runs printing
    all the time cost the runner 3 % of a core instead of 0.7 %. They share FOLLOW_LOOKS looks a
    second: the first ones are read every FOLLOW_S, the eighth once a second, as before."""
    outputs = OutputWatches(Layout(root=tmp_path, name="_shell_"), lambda line: None)
    loop = asyncio.new_event_loop()  # never run: what is scheduled, and when, is the point
    delays: list[float] = []
    schedule = loop.call_later
    monkeypatch.setattr(loop, "call_later", lambda delay, *rest: delays.append(delay) or schedule(delay, *rest))
    outputs.loop = loop
    try:
        for i in range(8):
            log = outputs.layout.run_log(f"t{i}", 1)
            log.parent.mkdir(parents=True)
            log.write_bytes(b"epoch 1/10\n")
            outputs.add(f"t{i}", 1, started_at=time.time())
        delays.clear()  # (the first look at all of them, POLL_S)
        outputs.poll_all()  # every log grew: each is followed on its own from now on
        assert delays == [output_watch.FOLLOW_S] * 2 + [(n + 1) / output_watch.FOLLOW_LOOKS for n in range(2, 8)]
        assert delays[-1] == output_watch.POLL_S
    finally:
        outputs.close()
        loop.close()
