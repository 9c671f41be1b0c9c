"""Tasks on a real single-node Slurm (`.ci/backends/slurm-up.sh`): job arrays, states, stops,
GPUs, requeue, recovery and export. Skipped locally without a cluster, failed in CI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from pyruns_tui.runner import client, control
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.runner.slurm.executor import DONE_DIR, ORPHAN_WAIT_ENV, UNCONFIRMED_END_ENV
from pyruns_tui.runner.slurm.submit import Submission, load_all, slurm_dir
from pyruns_tui.workspace.model import Status
from tests.conftest import require_backend
from tests.runner.harness import Project, slow_git, until

pytestmark = pytest.mark.slurm

SLURM_SETTINGS = """\
max_concurrency: 4
stop_grace_s: 1
runner_idle_exit_s: 20
executor: slurm
slurm:
  gpus_per_task: 0
"""


def _cluster_up() -> tuple[bool, str]:
    if shutil.which("squeue") is None:
        return False, "squeue not on PATH (run .ci/backends/slurm-up.sh)"
    if not os.environ.get("SLURM_CONF"):
        return False, "SLURM_CONF is not set (eval the output of .ci/backends/slurm-up.sh)"
    done = subprocess.run(["squeue", "--me", "-h"], capture_output=True, text=True, timeout=30)
    return done.returncode == 0, done.stderr.strip()[:200]


@pytest.fixture
def cluster(project: Project, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    up, why = _cluster_up()
    require_backend("slurm", up, why)
    monkeypatch.setenv("PYRUNS_TUI_SLURM_POLL_MAX_S", "1")
    project.layout.settings_file.write_text(SLURM_SETTINGS)
    yield project
    ids = [s.job_id for s in load_all(project.layout) if s.job_id]
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True, timeout=30)


def submissions(project: Project) -> list[Submission]:
    """Every submission of the workspace, those over (moved to done/ by the runner) included."""
    found = {sub.id: sub for sub in load_all(project.layout)}
    for path in sorted((slurm_dir(project.layout) / DONE_DIR).glob("*.json")):
        sub = Submission.load(path)
        if sub is not None:
            found.setdefault(sub.id, sub)
    return sorted(found.values(), key=lambda sub: sub.id)


def records(project: Project, names: list[str]) -> dict[str, dict]:
    out = {}
    for name in names:
        path = project.layout.run_log(name, project.task(name).runs[-1].index).with_name(
            f"run{project.task(name).runs[-1].index}.exit.json")
        out[name] = json.loads(path.read_text())
    return out


def array_ids(project: Project, names: list[str]) -> set[str]:
    return {(project.task(n).last_run.slurm_job_id or "").split("_")[0] for n in names}


def test_a_20_task_grid_is_one_array_with_at_most_4_running(cluster: Project) -> None:
    names = [cluster.add(f"g{i}", f"import os, time; print('task', {i}, os.environ['COLUMNS']); time.sleep(0.4)")
             for i in range(20)]
    control.queue(cluster.store, names)
    tasks = cluster.wait(*names, timeout=180)
    assert all(t.status is Status.COMPLETED for t in tasks.values()), {n: t.reason for n, t in tasks.items()}
    assert len(array_ids(cluster, names)) == 1 and len(submissions(cluster)) == 1  # one sbatch
    sub = submissions(cluster)[0]
    assert "--array=0-19%4" in sub.sbatch and sub.script.read_text().startswith("#!/bin/sh")
    recs = records(cluster, names)
    events = sorted([(r["started_at"], 1) for r in recs.values()] + [(r["finished_at"], -1) for r in recs.values()])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert 1 < peak <= 4
    for i, name in enumerate(names):
        run = tasks[name].last_run
        assert run.backend == "slurm" and run.slurm_job_id == f"{sub.job_id}_{i}" and run.node and run.restarts == 0
        assert cluster.log(name) == f"task {i} 160\n".encode()


def test_a_failing_task_fails_with_its_exit_code(cluster: Project) -> None:
    name = cluster.add("bad", "print('oops'); raise SystemExit(3)")
    crash = cluster.add("crash", "import json\njson.loads('{')")
    control.queue(cluster.store, [name, crash])
    tasks = cluster.wait(name, crash)
    task = tasks[name]
    assert task.status is Status.FAILED and task.reason == "exit code 3" and task.last_run.exit_code == 3
    assert cluster.log(name) == b"oops\n"
    assert tasks[crash].last_run.error.startswith("json.decoder.JSONDecodeError") and tasks[crash].last_run.error_line


def test_stop_a_running_and_a_pending_index(cluster: Project) -> None:
    cluster.layout.settings_file.write_text(SLURM_SETTINGS + "  array_parallelism: 1\n")
    code, release = cluster.gate("run")
    first = cluster.add("first", "print('started', flush=True)\n" + code)
    second = cluster.add("second", "print('second ran')")
    third = cluster.add("third", "print('third ran')")
    control.queue(cluster.store, [first, second, third])
    until(lambda: cluster.log(first) == b"started\n", 60, "the first index to run")
    assert cluster.task(third).status is Status.QUEUED and cluster.task(third).reason.startswith("Slurm: ")
    control.stop(cluster.store, [third])
    assert cluster.wait(third)[third].reason == "cancelled while queued on Slurm"
    # the runner decides by its record, which a poll (in its own thread) brings up to date
    until(lambda: cluster.task(first).status is Status.RUNNING, 60, "the runner to see the first index run")
    control.stop(cluster.store, [first])
    task = cluster.wait(first)[first]
    assert task.status is Status.INTERRUPTED and task.reason == "stopped by user"
    assert records(cluster, [first])[first]["stopped"] is True
    assert cluster.wait(second)[second].status is Status.COMPLETED
    assert cluster.log(third) == b"" and cluster.task(third).runs[-1].status is Status.INTERRUPTED
    release()


def _scheduled_end(job: str) -> float:
    """When Slurm ends `job` at its time limit: its start plus its limit (`scontrol show job`)."""
    fields = dict(item.split("=", 1) for item in subprocess.run(
        ["scontrol", "-o", "show", "job", job], check=True, capture_output=True, text=True, timeout=30).stdout.split()
        if "=" in item)
    minutes, seconds = (int(part) for part in fields["TimeLimit"].split(":")[-2:])
    return time.mktime(time.strptime(fields["StartTime"], "%Y-%m-%dT%H:%M:%S")) + minutes * 60 + seconds


@pytest.mark.slow  # Slurm's smallest limit is a minute: 10 s to the stop
def test_the_time_limit_stops_the_task_its_grace_before_the_end(cluster: Project) -> None:
    """The smallest limit Slurm has is a minute: with a 50 s grace the stop is due 10 s into the
    job, so the mechanism is checked without waiting for the limit itself. Slurm's
    `--signal=B:TERM@50` (what the runner asked for before) came 3 s to 23 s early here; the
    launcher's own stop comes at the end less the grace (squeue's %L is to the second)."""
    cluster.layout.settings_file.write_text(SLURM_SETTINGS.replace("stop_grace_s: 1", "stop_grace_s: 50") + '  time: "1"\n')
    name = cluster.add("limited", "import signal, sys, time\n"
                       "signal.signal(signal.SIGTERM, lambda *a: (print('term at', repr(time.time()), flush=True), sys.exit(0)))\n"
                       "print('started', flush=True)\n"
                       "time.sleep(120)\n")
    control.queue(cluster.store, [name])
    task = cluster.wait(name, timeout=120)[name]
    assert task.status is Status.FAILED and task.reason == "Slurm time limit (stopped stop_grace_s before it)"
    record = records(cluster, [name])[name]
    assert record["stopped"] is True and record["deadline"] is True
    term_at = float(cluster.log(name).decode().split("term at ")[1])
    end = _scheduled_end(task.last_run.slurm_job_id)
    assert end - 50 - 2 <= term_at < end  # not early by more than squeue's rounding; before the limit


LIMIT_CHANGED = b"[pyruns] time limit changed: "
TERM_PRINTS = ("import signal, sys, time\n"
               "signal.signal(signal.SIGTERM, lambda *a: (print('term at', repr(time.time()), flush=True), sys.exit(0)))\n"
               "print('started', flush=True)\n")


def _set_limit(job: str, minutes: int) -> None:
    subprocess.run(["scontrol", "update", f"JobId={job}", f"TimeLimit={minutes}"], check=True, capture_output=True,
                   timeout=30)


def _started_with_a_limit_then_raised(cluster: Project, label: str, *,
                                      grace_s: int) -> tuple[str, Callable[[], None], str, float]:
    """A held task submitted with a 1-minute limit and `grace_s` of grace, its limit raised to 10
    minutes once it started: (its name, its release, its job id, the stop as first submitted)."""
    cluster.layout.settings_file.write_text(
        SLURM_SETTINGS.replace("stop_grace_s: 1", f"stop_grace_s: {grace_s}") + '  time: "1"\n')
    code, release = cluster.gate(label)
    name = cluster.add(label, TERM_PRINTS + code + "print('done', flush=True)\n")
    control.queue(cluster.store, [name])
    until(lambda: b"started" in cluster.log(name), 60, "the task to start")
    job = cluster.task(name).last_run.slurm_job_id
    old_stop = _scheduled_end(job) - grace_s  # (the limit as submitted: 1 min)
    _set_limit(job, 10)
    return name, release, job, old_stop


def _completed_past(cluster: Project, name: str, release: Callable[[], None], old_stop: float) -> bytes:
    """Once the first stop has passed, the task released completes unstopped, one line saying the
    limit changed: its log."""
    until(lambda: time.time() > old_stop + 3, 60, "the old stop to pass")
    release()
    task = cluster.wait(name, timeout=60)[name]
    assert task.status is Status.COMPLETED, cluster.explain(name)
    log = cluster.log(name)
    assert b"term at" not in log and log.endswith(b"done\n") and log.count(LIMIT_CHANGED) == 1
    return log


@pytest.mark.slow
def test_a_time_limit_raised_while_the_job_runs_is_followed(cluster: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """Limit 1 min, grace 50 s: the stop was due 10 s in. Raised to 10 min right after the start,
    the launcher's re-read (every second here, PYRUNS_TUI_SLURM_LIMIT_REREAD_S) moves the stop,
    the run log says so in one line, and the task outlives the old stop and completes."""
    monkeypatch.setenv("PYRUNS_TUI_SLURM_LIMIT_REREAD_S", "1")
    name, release, job, old_stop = _started_with_a_limit_then_raised(cluster, "raised", grace_s=50)
    until(lambda: LIMIT_CHANGED in cluster.log(name), 30, "the run log to say the limit changed")
    log = _completed_past(cluster, name, release, old_stop)
    line = log.split(LIMIT_CHANGED)[1].split(b"\r\n")[0].decode()  # "stop at HH:MM:SS (was HH:MM:SS)"
    new_stop = time.mktime(time.strptime(time.strftime("%Y-%m-%d ") + line.split()[2], "%Y-%m-%d %H:%M:%S"))
    off = (new_stop - (_scheduled_end(job) - 50)) % 86400  # (the clock has no date)
    assert min(off, 86400 - off) <= 2 and line.endswith(")"), line


@pytest.mark.slow
def test_a_time_limit_raised_seconds_before_the_stop_is_not_missed(cluster: Project) -> None:
    """Limit 1 min, grace 56 s: the stop is due about 4 s in, before the launcher's first re-read
    (5 s in at the soonest), so only the look the supervisor asks for at the stop itself can see
    the limit raised to 10 min in between: the task is not stopped and ends on its own."""
    name, release, job, old_stop = _started_with_a_limit_then_raised(cluster, "late", grace_s=56)
    raised_at = time.time()
    until(lambda: LIMIT_CHANGED in cluster.log(name) or b"term at" in cluster.log(name), 30,
          "the run log to say the limit changed (or the task to be stopped)")
    assert b"term at" not in cluster.log(name), f"raised {old_stop - raised_at:.1f} s before the stop; {cluster.explain(name)}"
    _completed_past(cluster, name, release, old_stop)
    assert not records(cluster, [name])[name].get("deadline")


@pytest.mark.slow
def test_a_time_limit_lowered_while_the_job_runs_gets_the_graceful_stop(cluster: Project,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Limit 10 min, grace 50 s; lowered to 1 min right after the start: the stop comes 10 s in
    (SIGTERM, the time-limit record), not Slurm's kill at the limit."""
    monkeypatch.setenv("PYRUNS_TUI_SLURM_LIMIT_REREAD_S", "1")
    cluster.layout.settings_file.write_text(SLURM_SETTINGS.replace("stop_grace_s: 1", "stop_grace_s: 50") + '  time: "10"\n')
    name = cluster.add("lowered", TERM_PRINTS + "time.sleep(600)\n")
    control.queue(cluster.store, [name])
    until(lambda: b"started" in cluster.log(name), 60, "the task to start")
    job = cluster.task(name).last_run.slurm_job_id
    _set_limit(job, 1)
    task = cluster.wait(name, timeout=150)[name]
    assert task.status is Status.FAILED and task.reason == "Slurm time limit (stopped stop_grace_s before it)", \
        cluster.explain(name)
    record = records(cluster, [name])[name]
    assert record["stopped"] is True and record["deadline"] is True
    log = cluster.log(name)
    assert log.count(LIMIT_CHANGED) == 1 and log.index(LIMIT_CHANGED) < log.index(b"term at")
    term_at = float(log.decode().split("term at ")[1].split()[0])
    assert term_at < _scheduled_end(job)  # before Slurm's own end


def test_a_gres_gpu_is_recorded_as_cuda_visible_devices(cluster: Project) -> None:
    name = cluster.add("gpu", "import os; print(os.environ['CUDA_VISIBLE_DEVICES'])", gpus=1)
    control.queue(cluster.store, [name])
    task = cluster.wait(name)[name]
    assert task.status is Status.COMPLETED, task.reason
    seen = cluster.log(name).decode().strip()
    assert seen in ("0", "1") and records(cluster, [name])[name]["cuda_visible_devices"] == seen
    assert task.last_run.gpus == [int(seen)]
    assert "--gres=gpu:1" in submissions(cluster)[0].sbatch


def test_a_requeued_job_counts_a_restart_and_continues_its_log(cluster: Project) -> None:
    code, release = cluster.gate("requeue")
    name = cluster.add("rq", "import os; print('attempt', os.environ.get('SLURM_RESTART_COUNT', '0'), flush=True)\n" + code)
    control.queue(cluster.store, [name])
    until(lambda: cluster.log(name) == b"attempt 0\n", 60, "the first attempt")
    job = cluster.task(name).last_run.slurm_job_id
    subprocess.run(["scontrol", "requeue", job], check=True, capture_output=True, timeout=30)
    until(lambda: b"attempt 1" in cluster.log(name), 90, "the second attempt")
    release()
    task = cluster.wait(name)[name]
    assert task.status is Status.COMPLETED and len(task.runs) == 1 and task.last_run.restarts == 1
    log = cluster.log(name)
    assert log.startswith(b"attempt 0\n") and b"[pyruns] requeued by Slurm: attempt 2" in log and log.endswith(b"attempt 1\n")


def test_a_killed_runner_is_replaced_without_a_duplicate_submission(cluster: Project) -> None:
    code, release = cluster.gate("recover")
    names = [cluster.add(f"r{i}", f"print('r', {i}, flush=True)\n" + code) for i in range(3)]
    control.queue(cluster.store, names)
    until(lambda: all(cluster.log(n) for n in names), 60, "all three to run")
    os.kill(cluster.runner_pid(), signal.SIGKILL)
    until(lambda: not client.runner_alive(cluster.layout), 10, "the runner to die")
    assert control.attach(cluster.store)  # a new runner re-adopts the running array
    until(lambda: client.runner_alive(cluster.layout), 10, "the new runner")
    release()
    tasks = cluster.wait(*names)
    assert all(t.status is Status.COMPLETED and len(t.runs) == 1 for t in tasks.values())
    assert len(submissions(cluster)) == 1 and len(array_ids(cluster, names)) == 1


def test_a_submission_that_is_over_moves_to_done_where_no_runner_reads_it(cluster: Project) -> None:
    """A runner reads every submission in .runner/slurm/ as it starts (1,000 of them: ~75 ms), and
    each `run` for Slurm adds one: kept there forever before. Once its runs have ended the runner
    moves it, its batch script and each output the launcher wrote to done/ (an empty output is
    removed); a later submission still runs."""
    said = cluster.add("said", "import os\nopen(f'/proc/{os.getppid()}/fd/2', 'a').write('the launcher said this\\n')")
    quiet = cluster.add("quiet", "print('quiet')")
    control.queue(cluster.store, [said, quiet])
    tasks = cluster.wait(said, quiet, timeout=120)
    assert all(t.status is Status.COMPLETED for t in tasks.values()), {n: t.reason for n, t in tasks.items()}
    until(lambda: not load_all(cluster.layout), 30, "the runner to move the submission to done/")
    (sub,) = submissions(cluster)
    position = next(at for at, name, _ in sub.runs() if name == said)
    folder = slurm_dir(cluster.layout)
    assert sorted(p.name for p in (folder / DONE_DIR).iterdir()) == sorted(
        [f"{sub.id}.json", f"{sub.id}.sh", f"{sub.id}_{position}.out"])
    assert (folder / DONE_DIR / f"{sub.id}_{position}.out").read_text() == "the launcher said this\n"
    assert not list(folder.glob(f"{sub.id}*"))
    later = cluster.add("later", "print('later')")
    control.queue(cluster.store, [later])
    assert cluster.wait(later, timeout=120)[later].status is Status.COMPLETED and cluster.log(later) == b"later\n"
    assert len(submissions(cluster)) == 2


def test_an_array_cancelled_while_pending_moves_to_done(cluster: Project) -> None:
    """A pending index cancelled is recorded at once and Slurm forgets it; the runner then owns
    nothing and polls no more, so its last poll still says pending: that must not keep the array."""
    cluster.layout.settings_file.write_text(SLURM_SETTINGS + '  extra_args: ["--hold"]\n')
    name = cluster.add("held", "print('never')")
    control.queue(cluster.store, [name])
    until(lambda: (cluster.task(name).reason or "").startswith("Slurm: "), 60, "a poll to see the index pending")
    control.stop(cluster.store, [name])
    assert cluster.wait(name)[name].reason == "cancelled while queued on Slurm"
    until(lambda: not load_all(cluster.layout), 30, "the runner to move the submission to done/")
    assert len(submissions(cluster)) == 1 and cluster.log(name) == b""


async def test_the_manager_row_of_a_held_index_says_why_as_ls_does(cluster: Project, capsys) -> None:  # type: ignore[no-untyped-def]
    """An index held in Slurm's queue (`--hold`): `ls` and the Manager's row (80 columns: the
    reason cut to the room) both say the reason the runner recorded from squeue."""
    from pyruns_tui.cli import main as cli_main
    from pyruns_tui.tui.app import PyrunsApp
    from tests.tui.manager_helpers import row_text, settle

    cluster.layout.settings_file.write_text(SLURM_SETTINGS + '  extra_args: ["--hold"]\n')
    name = cluster.add("held", "print('never')")
    control.queue(cluster.store, [name])
    until(lambda: cluster.task(name).reason == "Slurm: JobHeldUser", 60, "a poll to see the index held")
    assert cli_main(["-C", str(cluster.dir), "ls"]) == 0
    assert "queued (Slurm: JobHeldUser)" in capsys.readouterr().out
    async with PyrunsApp(cluster.layout, start_mode="manager", watch_disk=False).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        row = row_text(screen, name)
        assert row.startswith("  ◷ queued (JobHeld") and "…) held " in row, row
    async with PyrunsApp(cluster.layout, start_mode="manager", watch_disk=False).run_test(size=(160, 24)) as pilot:
        screen = await settle(pilot)
        assert row_text(screen, name).startswith("  ◷ queued (JobHeldUser) held ")
    control.stop(cluster.store, [name])
    assert cluster.wait(name)[name].reason == "cancelled while queued on Slurm"


def test_export_has_the_cluster_columns(cluster: Project, tmp_path: Path) -> None:
    name = cluster.add("ex", "print(1)")
    control.queue(cluster.store, [name])
    cluster.wait(name)
    out = tmp_path / "runs.json"
    assert cluster.cli("export", name, "-o", str(out)) == 0
    row = json.loads(out.read_text())[0]
    assert row["backend"] == "slurm" and row["slurm_job_id"].endswith("_0") and row["node"] and row["restarts"] == 0


def test_an_invalid_partition_is_one_error_line_and_nothing_runs(cluster: Project, capsys) -> None:
    name = cluster.add("p", "print(1)")
    assert cluster.cli("run", name, "--partition", "no-such-partition") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid partition" in err[0].lower(), err
    task = cluster.task(name)
    assert task.status is Status.FAILED and task.last_run.status is Status.FAILED and not task.last_run.slurm_job_id
    capsys.readouterr()
    assert cluster.cli("log", name) == 1  # it said the log was "missing ... deleted?"
    assert f"run 1 of {name!r} never started" in capsys.readouterr().err
    assert "invalid partition" in (task.error or "").lower()  # (none: ls --by-error and error: left it out)


def test_a_rerun_reports_its_own_submission_not_the_last_runs(cluster: Project, capsys) -> None:
    # right after the queue write the task's last run was the earlier one, which has a job id: a
    # refused rerun said "submitted ... as job array <the old id>" and exited 0
    name = cluster.add("again", "print(1)")
    assert cluster.cli("run", name, "--wait") == 0
    first = cluster.task(name).last_run.slurm_job_id.split("_")[0]
    capsys.readouterr()
    assert cluster.cli("run", name, "--partition", "no-such-partition") == 1
    assert "invalid partition" in capsys.readouterr().err.lower()
    assert cluster.cli("run", name) == 0
    out = capsys.readouterr().out
    second = cluster.task(name).runs[-1].slurm_job_id.split("_")[0]
    assert second != first and f"as job array {second}" in out, out
    cluster.wait(name)


def test_an_sbatch_option_it_does_not_know_is_named_in_the_error(cluster: Project, capsys) -> None:
    # only a line with "error" in it was kept, else the last: `Try "sbatch --help" for more information`
    name = cluster.add("bogus", "print(1)")
    assert cluster.cli("run", name, "--sbatch-arg=--bogus-option") == 1
    err = capsys.readouterr().err
    assert "--bogus-option" in err and "--help" not in err, err


def test_a_call_split_into_arrays_with_one_refused_names_the_submitted_and_the_refused(cluster: Project, capsys) -> None:
    # one array per GPU count: the 3-GPU one is refused (the node has 2), the others run. It said
    # only "Slurm refused the submission: ..." and exited 1, as if nothing ran
    cpu = [cluster.add(f"cpu{i}", "print('cpu')") for i in range(2)]
    one = cluster.add("one", "print('gpu')", gpus=1)
    big = cluster.add("big", "print('big')", gpus=3)
    assert cluster.cli("run", *cpu, one, big) == 1  # some were refused: like `wait`, 1 unless all did
    out, err = capsys.readouterr()
    tasks = cluster.wait(*cpu, one, big)
    assert all(tasks[n].status is Status.COMPLETED for n in [*cpu, one]), {n: t.reason for n, t in tasks.items()}
    assert tasks[big].status is Status.FAILED and not tasks[big].last_run.slurm_job_id
    arrays = {n: tasks[n].last_run.slurm_job_id.split("_")[0] for n in [*cpu, one]}
    assert len(set(arrays.values())) == 2
    assert out.strip() == (f"submitted 3 of 4 tasks to Slurm as job arrays {arrays[cpu[0]]} ({cpu[0]}, {cpu[1]}), "
                           f"{arrays[one]} ({one})"), out
    err_lines = err.strip().splitlines()
    assert len(err_lines) == 1 and err_lines[0].startswith(f"pyr-tui: error: Slurm refused 1 of 4 tasks ({big}): "), err
    assert "node configuration is not available" in err_lines[0], err


def test_gen_run_says_what_slurm_answered(cluster: Project, capsys, tmp_path: Path) -> None:
    # `gen --run` returned once the tasks were queued: "created and queued 2 tasks", exit 0, for a
    # submission Slurm refused a moment later
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"command: exec {__import__('sys').executable} -c 'print({{x}})'\nparams:\n  x: 1 | 2\n")
    assert cluster.cli("gen", str(spec), "-n", "ok", "--run") == 0
    out = capsys.readouterr().out
    made = [t.name for t in cluster.store.scan() if t.name.startswith("ok")]
    array = cluster.task(made[0]).last_run.slurm_job_id.split("_")[0]
    assert f"submitted 2 tasks to Slurm as job array {array}" in out, out
    cluster.layout.settings_file.write_text(SLURM_SETTINGS + "  partition: no-such-partition\n")
    assert cluster.cli("gen", str(spec), "-n", "bad", "--run") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Slurm refused the submission" in err[0] and "partition" in err[0].lower(), err
    assert cluster.cli("gen", str(spec), "-n", "badjson", "--run", "--json") == 1  # stdout stays one JSON document
    out, err = capsys.readouterr()
    assert json.loads(out)["count"] == 2 and "Slurm refused the submission" in err, err
    cluster.wait(*made)


def test_forcing_a_task_already_queued_on_slurm_does_not_wait_for_a_submission(cluster: Project, capsys) -> None:
    # `run --force` (the TUI's f) on a task an earlier call had submitted waited for a submission
    # of its own that never comes: 120 s, then "the runner did not submit the tasks", exit 1
    cluster.layout.settings_file.write_text(SLURM_SETTINGS + "  array_parallelism: 1\n")
    code, release = cluster.gate("forced")
    first, second = cluster.add("first", code), cluster.add("second", "print('second')")
    assert cluster.cli("run", first, second) == 0
    until(lambda: cluster.task(second).last_run is not None and cluster.task(second).last_run.slurm_job_id, 60,
          "the second index to be submitted")
    capsys.readouterr()
    assert cluster.cli("run", "--force", second) == 0
    assert capsys.readouterr().err == ""
    assert len(cluster.task(second).runs) == 1
    release()
    assert all(t.status is Status.COMPLETED for t in cluster.wait(first, second).values())


def test_run_j_is_the_array_throttle(cluster: Project) -> None:
    # `-j 2` set the runner's local concurrency and the array went as %4 (max_concurrency): 4 ran at once
    code, release = cluster.gate("throttle")
    names = [cluster.add(f"j{i}", code) for i in range(4)]
    assert cluster.cli("run", *names, "-j", "2") == 0
    assert "--array=0-3%2" in submissions(cluster)[0].sbatch
    until(lambda: sum(cluster.task(n).status is Status.RUNNING for n in names) == 2, 60, "two indices running")
    until(lambda: any("JobArrayTaskLimit" in (cluster.task(n).reason or "") for n in names), 60,
          "the others held by the throttle")
    assert sum(cluster.task(n).status is Status.RUNNING for n in names) == 2
    assert not cluster.runner_paths.control.exists()  # the local concurrency of the session is left alone
    release()
    assert all(t.status is Status.COMPLETED for t in cluster.wait(*names, timeout=120).values())


def test_a_slurm_run_with_its_runner_stopped_is_not_called_lost(cluster: Project, capsys) -> None:
    # `ls` said `running (runner lost?)` of a job that runs on the cluster whatever the runner does
    code, release = cluster.gate("slurm-ls")
    name = cluster.add("onnode", code)
    control.queue(cluster.store, [name])
    until(lambda: cluster.task(name).status is Status.RUNNING, 60, "the job to start")
    assert cluster.cli("runner", "stop") == 0
    capsys.readouterr()
    assert cluster.cli("ls", name) == 0
    out = capsys.readouterr().out
    assert "running (runner not running)" in out and "lost" not in out, out
    release()
    assert cluster.wait(name)[name].status is Status.COMPLETED


def test_a_slurm_task_waits_for_its_after_and_is_held_back_when_it_fails(cluster: Project) -> None:
    # a Slurm task's `after` was not looked at: it was submitted at once, and ran though its
    # dependency failed
    first = cluster.add("first", "raise SystemExit(3)")
    then = cluster.add("then", "print('ran')")
    control.queue(cluster.store, [first], executor=control.Executor("local"))
    control.queue(cluster.store, [then], after=[first])
    tasks = cluster.wait(first, then)
    assert tasks[first].status is Status.FAILED
    assert tasks[then].status is Status.PENDING and not tasks[then].runs, cluster.explain(then)
    assert "first" in (tasks[then].reason or "")
    ok = cluster.add("ok", "print('fine')")
    after_ok = cluster.add("after_ok", "print('second')")
    control.queue(cluster.store, [ok], executor=control.Executor("local"))
    control.queue(cluster.store, [after_ok], after=[ok])
    tasks = cluster.wait(ok, after_ok)
    assert tasks[after_ok].status is Status.COMPLETED and tasks[after_ok].last_run.backend == "slurm"
    assert tasks[after_ok].last_run.start >= tasks[ok].last_run.finish


def test_without_slurm_run_is_one_error_line_and_nothing_runs(project: Project, capsys, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no sbatch anywhere (the runner inherits this PATH)
    name = project.add("nosl", "print(1)")
    assert project.cli("run", name, "--executor", "slurm") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sbatch not found" in err[0], err
    task = project.task(name)
    assert task.status is Status.FAILED and task.last_run.status is Status.FAILED and not task.last_run.slurm_job_id
    capsys.readouterr()
    assert project.cli("log", name) == 1  # it said the log was "missing ... deleted?"
    assert f"run 1 of {name!r} never started" in capsys.readouterr().err
    assert "sbatch not found" in (task.error or "")  # (none: ls --by-error and error: left it out)


def test_a_wrong_slurm_conf_is_one_error_line(cluster: Project, capsys, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_CONF", str(tmp_path / "missing.conf"))
    name = cluster.add("conf", "print(1)")
    assert cluster.cli("run", name) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.conf" in err[0], err
    assert cluster.task(name).status is Status.FAILED


def test_generator_create_and_run_submits_to_the_configured_executor(cluster: Project) -> None:
    from pyruns_tui.workspace.batch import create_batch
    from pyruns_tui.workspace.store import TaskStore

    command = f"exec {__import__('sys').executable} -c 'print({{x}})'"
    result = create_batch(TaskStore(cluster.layout), {"command": command, "params": {"x": "1 | 2"}}, prefix="gen", run=True)
    assert result.queued and len(result.names) == 2
    tasks = cluster.wait(*result.names)
    assert all(t.status is Status.COMPLETED and t.last_run.backend == "slurm" for t in tasks.values())
    assert len(array_ids(cluster, list(result.names))) == 1


def test_runner_status_shows_the_jobs_and_their_states(cluster: Project, capsys) -> None:
    code, release = cluster.gate("status")
    names = [cluster.add(f"s{i}", code) for i in range(2)]
    cluster.layout.settings_file.write_text(SLURM_SETTINGS + "  array_parallelism: 1\n")
    control.queue(cluster.store, names)
    until(lambda: cluster.task(names[0]).status is Status.RUNNING, 60, "the first to run")
    until(lambda: (cluster.cli("runner", "status", "--json"), capsys.readouterr().out)[1].count("PENDING") == 1, 30,
          "a poll that saw both")
    assert cluster.cli("runner", "status") == 0
    out = capsys.readouterr().out
    job = cluster.task(names[0]).last_run.slurm_job_id
    assert "executor: slurm" in out and "1 RUNNING, 1 PENDING" in out and f"s0: {job} RUNNING on " in out
    release()
    cluster.wait(*names)


def slow_tool(cluster: Project, monkeypatch: pytest.MonkeyPatch, tool: str) -> tuple[Path, Path]:
    """A slurmctld slow to answer `tool`: a wrapper first on PATH writes its pid to `asked`, then
    waits until `release` exists (or the runner's 20 s timeout kills it) and runs the real one."""
    real = shutil.which(tool)
    asked, release = cluster.dir / f"{tool}-asked", cluster.dir / f"{tool}-release"
    slow = cluster.dir / f"slow-{tool}"
    slow.mkdir()
    (slow / tool).write_text(
        "#!/bin/sh\n"
        f"echo $$ > '{asked}.tmp' && mv '{asked}.tmp' '{asked}'\n"
        "i=0\n"
        f"while [ ! -e '{release}' ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i + 1)); done\n"
        f"exec '{real}' \"$@\"\n")
    (slow / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{slow}{os.pathsep}{os.environ['PATH']}")
    return asked, release


def a_local_task_runs_while_it_waits(cluster: Project, asked: Path, tool: str) -> None:
    """While the slow `tool` (slow_tool) waits, a local task runs start to end: the runner's
    loop does not wait for it (a runner that did started the task only after the call's 20 s
    timeout had killed it)."""
    until(asked.exists, 60, f"the runner to call {tool}")
    pid = int(asked.read_text())
    local = cluster.add("local", "print('ran here')")
    control.queue(cluster.store, [local], executor=control.Executor(name="local"))
    task = cluster.wait(local)[local]
    assert task.status is Status.COMPLETED and cluster.log(local) == b"ran here\n"
    assert psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE  # still waiting


def test_a_slow_squeue_does_not_hold_up_local_tasks(cluster: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slurmctld slow to answer: the runner's squeue waits (here until the test lets it go, as
    long as the runner's 20 s timeout allows), and local tasks start and end meanwhile."""
    asked, release = slow_tool(cluster, monkeypatch, "squeue")
    code, release_task = cluster.gate("slurm")
    on_slurm = cluster.add("on_slurm", code)
    try:
        control.queue(cluster.store, [on_slurm])
        a_local_task_runs_while_it_waits(cluster, asked, "squeue")
    finally:
        release.touch()
        release_task()
    assert cluster.wait(on_slurm, timeout=120)[on_slurm].status is Status.COMPLETED


def test_a_slow_sbatch_does_not_hold_up_local_tasks_and_a_stop_waits_for_its_job_id(
        cluster: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """sbatch slow to answer: local tasks start and end meanwhile (the runner's loop waited for
    sbatch, up to its 20 s timeout); a stop asked for while the call is under way is sent once
    Slurm has given the job id."""
    from pyruns_tui.runner.slurm.records import SUBMITTING

    asked, release = slow_tool(cluster, monkeypatch, "sbatch")
    code, release_task = cluster.gate("sbatch")
    on_slurm = cluster.add("on_slurm", code)
    try:
        control.queue(cluster.store, [on_slurm])
        a_local_task_runs_while_it_waits(cluster, asked, "sbatch")
        waiting = cluster.task(on_slurm)
        assert waiting.reason == SUBMITTING and waiting.last_run.slurm_job_id is None
        control.stop(cluster.store, [on_slurm])
    finally:
        release.touch()
    try:
        task = cluster.wait(on_slurm, timeout=120)[on_slurm]
        assert task.status is Status.INTERRUPTED and task.last_run.slurm_job_id is not None
        job = task.last_run.slurm_job_id
        until(lambda: subprocess.run(["squeue", "-h", "-j", job], capture_output=True, text=True).stdout.strip() == "",
              60, "Slurm to forget the cancelled job")
    finally:
        release_task()


def test_a_runner_stopped_while_sbatch_is_under_way_records_the_job(cluster: Project,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner exits only once the sbatch under way answered and its job id is recorded: the
    next runner adopts the job (its tasks were failed as 'the runner stopped while submitting it'
    while a job nobody followed ran on)."""
    asked, release = slow_tool(cluster, monkeypatch, "sbatch")
    name = cluster.add("late", "print('ran on slurm')")
    control.queue(cluster.store, [name])
    until(asked.exists, 60, "the runner to call sbatch")
    stopping = threading.Thread(target=client.stop_runner, args=(cluster.layout,), kwargs={"timeout_s": 60})
    stopping.start()
    log = RunnerPaths.of(cluster.layout).log
    try:
        until(lambda: "stop requested" in log.read_text(), 30, "the runner to hear the stop while sbatch waits")
    finally:
        release.touch()
        stopping.join()
    assert not client.runner_alive(cluster.layout)
    assert cluster.task(name).last_run.slurm_job_id is not None
    task = cluster.wait(name, timeout=120)[name]  # (starts a runner: it adopts the job)
    assert task.status is Status.COMPLETED and cluster.log(name) == b"ran on slurm\n"
    assert len(submissions(cluster)) == 1


def test_a_slow_git_holds_only_the_submission_of_its_folder(cluster: Project, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A submission's git state is read as a local run's is (in a thread): while `git` hangs on the
    Slurm task's folder, a local task of another folder runs, and the call is submitted, with
    its git state, once git answers."""
    from pyruns_tui.workspace.bootstrap import init_workspace
    from pyruns_tui.workspace.store import NewTask, TaskStore

    hang = slow_git(cluster.dir, tmp_path, monkeypatch)
    slow, quick, head, gate, asked = hang.slow, hang.quick, hang.head, hang.gate, hang.asked
    layout = init_workspace(cluster.dir, slow / "main.py")
    layout.settings_file.write_text(SLURM_SETTINGS)
    store = TaskStore(layout)
    on_slurm = store.create_tasks([NewTask("on_slurm", {})], task_kind="plain", script=str(slow / "main.py"))[0].name
    local = store.create_tasks([NewTask("local", {})], task_kind="plain", script=str(quick / "main.py"))[0].name
    try:
        control.queue(store, [on_slurm], start_runner=False)
        control.queue(store, [local], executor=control.Executor(name="local"))
        until(asked.exists, 60, "the runner to ask git about the Slurm task's folder")
        git_pid = int(asked.read_text())
        done = control.wait(store, [local], timeout_s=60)[local]
        assert done.status is Status.COMPLETED and layout.run_log(local, 1).read_bytes() == b"ran in quick\n"
        # meanwhile git still hangs (a runner that waits for it in its loop kills it after 2 s,
        # then submits the call with no git state)
        assert psutil.pid_exists(git_pid) and psutil.Process(git_pid).status() != psutil.STATUS_ZOMBIE
        assert store.get(on_slurm).status is Status.QUEUED and store.get(on_slurm).last_run is None
        gate.touch()
        task = control.wait(store, [on_slurm], timeout_s=120)[on_slurm]
        assert task.status is Status.COMPLETED and layout.run_log(on_slurm, 1).read_bytes() == b"ran in slow\n"
        assert task.last_run.backend == "slurm" and task.last_run.git["commit"] == head
    finally:
        gate.touch()
        ids = [s.job_id for s in load_all(layout) if s.job_id]
        if ids:
            subprocess.run(["scancel", *ids], capture_output=True, timeout=30)
        client.stop_runner(layout)


def killed_during_sbatch(cluster: Project, monkeypatch: pytest.MonkeyPatch, name: str, code: str) -> tuple[str, Path]:
    """Task `name` (python `code`) queued for Slurm, its runner killed with SIGKILL while a slow
    sbatch (slow_tool) waits; no runner up. (The task, the sbatch's `release`.)"""
    asked, release = slow_tool(cluster, monkeypatch, "sbatch")
    name = cluster.add(name, code)
    control.queue(cluster.store, [name])
    until(asked.exists, 60, "the runner to call sbatch")
    os.kill(cluster.runner_pid(), signal.SIGKILL)
    until(lambda: not client.runner_alive(cluster.layout), 10, "the runner to die")
    return name, release


def test_a_runner_killed_while_sbatch_is_under_way_is_followed_by_one_that_finds_the_job(
        cluster: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 of the runner while its sbatch waits: the orphaned sbatch still submits the array,
    whose id no one recorded. The next runner finds it by the submission's job name and follows
    it to the end (it failed the task as 'the runner stopped while submitting it' while the job
    ran unwatched)."""
    name, release = killed_during_sbatch(cluster, monkeypatch, "orphan", "print('ran on slurm')")
    assert cluster.task(name).last_run.slurm_job_id is None
    assert control.attach(cluster.store)  # a new runner, before the orphaned sbatch answers
    release.touch()
    task = cluster.wait(name, timeout=120)[name]
    assert task.status is Status.COMPLETED and cluster.log(name) == b"ran on slurm\n", task.reason
    assert task.last_run.slurm_job_id is not None and len(submissions(cluster)) == 1


def test_an_orphaned_array_that_ran_and_left_squeue_is_found_from_its_exit_record(
        cluster: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 of the runner during sbatch; its orphaned sbatch submits the array, which runs to
    its end and is purged from squeue (slurmctld's MinJobAge; here a wrapper of the real squeue
    leaves it out) before any runner looks. The next runner adopts the array from the job id the
    launcher wrote into the exit record: the task completes (before: failed as 'the runner stopped
    while submitting it; run it again', though it ran)."""
    monkeypatch.setenv(ORPHAN_WAIT_ENV, "1")
    name, release = killed_during_sbatch(cluster, monkeypatch, "purged", "print('ran, then purged')")
    index = cluster.task(name).last_run.index
    record = cluster.layout.run_log(name, index).with_name(f"run{index}.exit.json")
    release.touch()
    until(lambda: record.exists() and json.loads(record.read_text()).get("state") == "exited", 120,
          "the orphaned array to run to its end")
    (sub,) = load_all(cluster.layout)
    purged = cluster.dir / "purged-squeue"
    purged.mkdir()
    (purged / "squeue").write_text(
        f"#!/bin/sh\n'{shutil.which('squeue')}' \"$@\" | grep -v -F '{sub.job_name}'\nexit 0\n")
    (purged / "squeue").chmod(0o755)
    monkeypatch.setenv("PATH", f"{purged}{os.pathsep}{os.environ['PATH']}")
    task = cluster.wait(name, timeout=120)[name]  # (starts a runner)
    assert task.status is Status.COMPLETED and cluster.log(name) == b"ran, then purged\n", cluster.explain(name)
    assert task.last_run.slurm_job_id == f"{json.loads(record.read_text())['slurm_job_id']}"
    assert submissions(cluster)[0].job_id == task.last_run.slurm_job_id.split("_")[0]


def orphan_past_the_wait(cluster: Project, monkeypatch: pytest.MonkeyPatch, name: str, code: str) -> tuple[str, Path]:
    """Task `name` queued for Slurm, its runner killed during a slow sbatch, a new runner past its
    1 s wait that has seen the orphaned sbatch still there; (the task, the sbatch's `release`)."""
    monkeypatch.setenv(ORPHAN_WAIT_ENV, "1")
    name, release = killed_during_sbatch(cluster, monkeypatch, name, code)
    assert control.attach(cluster.store)
    runner_log = cluster.layout.runner_dir / "runner.log"
    until(lambda: "still waits for slurmctld" in runner_log.read_text(), 60, "the new runner to see the sbatch waiting")
    return name, release


def test_an_orphaned_sbatch_still_waiting_past_the_wait_keeps_its_tasks_queued(
        cluster: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The orphaned sbatch answers only after the new runner's wait (ORPHAN_WAIT_S; 1 s here): while
    that sbatch process is there its tasks stay queued, and its array is followed to the end.
    Given up on after the wait, the task was failed ('run it again') while the array ran unwatched."""
    name, release = orphan_past_the_wait(cluster, monkeypatch, "late", "print('ran on slurm late')")
    assert cluster.task(name).status is Status.QUEUED, cluster.explain(name)
    release.touch()
    task = cluster.wait(name, timeout=120)[name]
    assert task.status is Status.COMPLETED and cluster.log(name) == b"ran on slurm late\n", cluster.explain(name)
    assert task.last_run.slurm_job_id is not None


def test_an_orphaned_sbatch_that_dies_without_submitting_fails_its_tasks(
        cluster: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    name, release = orphan_past_the_wait(cluster, monkeypatch, "lost", "print('never')")
    asked = release.with_name("sbatch-asked")
    os.kill(int(asked.read_text()), signal.SIGKILL)  # the wrapper, before it runs the real sbatch
    task = cluster.wait(name, timeout=60)[name]
    assert task.status is Status.FAILED and "while submitting" in (task.reason or task.last_run.error or ""), \
        cluster.explain(name)
    release.touch()


def test_an_sbatch_argument_typed_wrong_says_how_to_give_it(cluster: Project, capsys) -> None:  # type: ignore[no-untyped-def]
    """sbatch's words alone did not say what was wrong: `--sbatch-arg=--partition` (no value) took
    the batch script's path as its value (`Batch script is empty!`), a stray word was taken for the
    script (`Unable to open file garbage`), `--mem=lots` named no option and no example."""
    name = cluster.add("typo", "print(1)")
    for arg, says in [("--partition", "Batch script is empty!: --partition took the batch script as its value "
                                      "(give an option and its value as one argument, e.g. --sbatch-arg=--partition=debug"),
                      ("garbage", "Unable to open file garbage: 'garbage' is no sbatch option, so sbatch took it for "
                                  "the batch script (give an option and its value as one argument"),
                      ("--mem=lots", "Invalid --mem specification: --mem=lots (e.g. 16G, 4000M or 4000 (MB))")]:
        assert cluster.cli("run", name, f"--sbatch-arg={arg}") == 1, arg
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"pyr-tui: error: Slurm refused the submission: {says}"), err
        assert cluster.task(name).status is Status.FAILED


def _unreachable_conf(cluster: Project) -> Path:
    """A copy of the cluster's slurm.conf naming a port no slurmctld listens on: Slurm's own
    tools then say `Unable to contact slurm controller (connect failure)` (after ~9 s of tries)."""
    conf = Path(os.environ["SLURM_CONF"])
    dead = cluster.dir / "unreachable" / "slurm.conf"
    dead.parent.mkdir()
    lines = conf.read_text().splitlines()
    dead.write_text("\n".join("SlurmctldPort=1" if line.startswith("SlurmctldPort=") else line for line in lines) + "\n")
    for other in conf.parent.glob("*.conf"):
        if other.name != conf.name:
            shutil.copy(other, dead.parent / other.name)
    return dead


def test_a_slurmctld_out_of_reach_says_how_to_check_it(cluster: Project, monkeypatch: pytest.MonkeyPatch,
                                                       capsys) -> None:  # type: ignore[no-untyped-def]
    """It said `Slurm refused the submission: Unable to contact slurm controller (connect
    failure)`: no refusal, and nothing on what to look at."""
    monkeypatch.setenv("SLURM_CONF", str(_unreachable_conf(cluster)))
    name = cluster.add("down", "print(1)")
    assert cluster.cli("run", name) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["pyr-tui: error: Slurm refused the submission: Unable to contact slurm controller (connect failure) "
                   "(is slurmctld up? `scontrol ping` says; SLURM_CONF names the cluster's slurm.conf)"], err


def test_stop_returns_when_slurm_does_not_answer_and_the_stop_goes_through_later(
        cluster: Project, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """slurmctld down while a task runs on Slurm: `pyr-tui stop` waited for the task to end, which
    the runner could not see, silently and for ever. It says Slurm does not answer and exits 1;
    once slurmctld answers again, the runner's stop goes through."""
    dead = _unreachable_conf(cluster)
    down = cluster.dir / "slurmctld-down"
    tools = cluster.dir / "tools"
    tools.mkdir()
    for tool in ("squeue", "scancel"):  # the real ones, told of a slurmctld out of reach while `down` exists
        (tools / tool).write_text(f"#!/bin/sh\n[ -e '{down}' ] && export SLURM_CONF='{dead}'\n"
                                  f"exec '{shutil.which(tool)}' \"$@\"\n")
        (tools / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    code, release = cluster.gate("down")
    name = cluster.add("held", "print('started', flush=True)\n" + code)
    control.queue(cluster.store, [name])
    until(lambda: cluster.task(name).status is Status.RUNNING, 60, "the runner to see the index run")
    down.touch()
    said: list[int] = []
    stop = threading.Thread(target=lambda: said.append(cluster.cli("stop", name)), daemon=True)
    try:
        stop.start()
        until(lambda: not stop.is_alive(), 90, "`pyr-tui stop` to return while slurmctld does not answer")
        assert said == [1]
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("pyr-tui: error: Slurm does not answer (squeue failed: "), err
        assert "Unable to contact slurm controller" in err[0] and f"so {name} may still run" in err[0], err
        assert cluster.task(name).status is Status.RUNNING
    finally:
        down.unlink(missing_ok=True)
    task = cluster.wait(name, timeout=120)[name]
    assert task.status is Status.INTERRUPTED and task.reason == "stopped by user", cluster.explain(name)
    release()
    stop.join(60)


def _shims(cluster: Project, monkeypatch: pytest.MonkeyPatch, bodies: dict[str, str]) -> None:
    """Put a `tool` before the real one on PATH for each of `bodies` (shell lines; `$REAL` is the
    real tool), in the runner's and its jobs' environment."""
    tools = cluster.dir / "tools"
    tools.mkdir()
    for tool, body in bodies.items():
        (tools / tool).write_text(f"#!/bin/sh\nREAL='{shutil.which(tool)}'\n{body}\n")
        (tools / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")


def test_the_exit_code_the_script_ended_with_wins_over_what_slurm_said_of_the_job_after(
        cluster: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit's case: slurmctld was down when the script ended (exit 0, in its exit record), and
    when it came back the job had passed its time limit: squeue said TIMEOUT and the run was failed
    `Slurm: TIMEOUT`. Here squeue's answers say what that slurmctld said (a job that completed is
    TIMEOUT, one that failed OUT_OF_MEMORY; getting the real one to would take stopping the shared
    slurmctld across a time limit): the exit code the script ended with decides; a script killed by
    a signal still gets Slurm's state."""
    _shims(cluster, monkeypatch, {"squeue": 'out=$("$REAL" "$@") || exit $?\n'
                                            "printf '%s\\n' \"$out\" | sed -e 's/|COMPLETED|/|TIMEOUT|/' "
                                            "-e 's/|FAILED|/|OUT_OF_MEMORY|/'"})
    ok = cluster.add("ok", "print('done')")
    bad = cluster.add("bad", "raise SystemExit(3)")
    killed = cluster.add("killed", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    control.queue(cluster.store, [ok, bad, killed])
    tasks = cluster.wait(ok, bad, killed, timeout=120)
    assert records(cluster, [ok])[ok]["exit_code"] == 0
    assert tasks[ok].status is Status.COMPLETED, cluster.explain(ok)
    assert tasks[ok].reason == "Slurm: TIMEOUT after the script ended" and tasks[ok].last_run.exit_code == 0
    assert tasks[bad].status is Status.FAILED, cluster.explain(bad)
    assert tasks[bad].reason == "exit code 3; Slurm: OUT_OF_MEMORY after the script ended", cluster.explain(bad)
    assert tasks[killed].status is Status.FAILED and tasks[killed].reason == "Slurm: OUT_OF_MEMORY", cluster.explain(killed)


def test_a_run_that_ends_while_slurm_does_not_answer_is_recorded_from_its_exit_record(
        cluster: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """slurmctld down when the script ends: the run stayed `running` for as long as squeue failed.
    Once it has failed for the grace (UNCONFIRMED_END_S, lowered here) the run ends as its exit
    record says, with a note; Slurm answering again records nothing twice and changes nothing."""
    monkeypatch.setenv(UNCONFIRMED_END_ENV, "2")
    dead = _unreachable_conf(cluster)
    down = cluster.dir / "slurmctld-down"
    _shims(cluster, monkeypatch, {tool: f"[ -e '{down}' ] && export SLURM_CONF='{dead}'\nexec \"$REAL\" \"$@\""
                                  for tool in ("squeue", "scancel")})
    code, release = cluster.gate("ends")
    name = cluster.add("ends", "print('started', flush=True)\n" + code + "print('over')\n")
    control.queue(cluster.store, [name])
    until(lambda: cluster.task(name).status is Status.RUNNING, 60, "the runner to see the index run")
    down.touch()
    try:
        release()
        exit_record = cluster.layout.run_log(name, 1).with_name("run1.exit.json")  # (written once the launcher starts)
        until(lambda: exit_record.exists() and records(cluster, [name])[name].get("state") == "exited", 60,
              "the script to end")
        until(lambda: cluster.task(name).status is not Status.RUNNING, 60,
              "the run to be recorded ended while Slurm does not answer")
        task = cluster.task(name)
        assert down.exists()
        assert task.status is Status.COMPLETED and task.last_run.exit_code == 0, cluster.explain(name)
        assert task.reason == ("Slurm did not confirm the end (squeue failed for 2 s): recorded from its exit record"), \
            cluster.explain(name)
    finally:
        down.unlink(missing_ok=True)
    then = cluster.task(name).to_dict()
    later = cluster.add("later", "print('later')")  # polls again, now answered: its job is still in squeue
    control.queue(cluster.store, [later])
    assert cluster.wait(later, timeout=120)[later].status is Status.COMPLETED, cluster.explain(later)
    assert cluster.task(name).to_dict() == then
    said = (cluster.layout.runner_dir / "runner.log").read_text()
    assert said.count(f"{name}: run 1 ") == 1, said


def test_an_index_that_runs_and_ends_while_slurm_does_not_answer_is_recorded_from_its_exit_record(
        cluster: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner last saw the index pending; it ran and ended while squeue failed: it was never
    seen running, so its exit record was not looked at, and it stayed queued."""
    monkeypatch.setenv(UNCONFIRMED_END_ENV, "2")
    dead = _unreachable_conf(cluster)
    down = cluster.dir / "slurmctld-down"
    _shims(cluster, monkeypatch, {"squeue": f"[ -e '{down}' ] && export SLURM_CONF='{dead}'\nexec \"$REAL\" \"$@\""})
    cluster.layout.settings_file.write_text(SLURM_SETTINGS + '  extra_args: ["--hold"]\n')
    name = cluster.add("unseen", "raise SystemExit(4)")
    control.queue(cluster.store, [name])
    until(lambda: (cluster.task(name).reason or "").startswith("Slurm: "), 60, "a poll to see the index pending")
    down.touch()
    try:
        subprocess.run(["scontrol", "release", cluster.task(name).last_run.slurm_job_id], check=True,
                       capture_output=True, timeout=30)
        until(lambda: cluster.task(name).status is Status.FAILED, 90,
              "the run to be recorded ended while Slurm does not answer")
        task = cluster.task(name)
        assert down.exists() and task.last_run.exit_code == 4, cluster.explain(name)
        assert task.reason == ("exit code 4; Slurm did not confirm the end (squeue failed for 2 s): recorded from "
                               "its exit record"), cluster.explain(name)
    finally:
        down.unlink(missing_ok=True)
    then = cluster.task(name).to_dict()
    cluster.layout.settings_file.write_text(SLURM_SETTINGS)  # (not held)
    later = cluster.add("later", "print('later')")  # (the squeue under way, out of reach, is over by then)
    control.queue(cluster.store, [later])
    assert cluster.wait(later, timeout=120)[later].status is Status.COMPLETED, cluster.explain(later)
    assert cluster.task(name).to_dict() == then
