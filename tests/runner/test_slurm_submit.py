"""What a Slurm submission is made of, without a cluster: settings, sbatch argv, batch script."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pyruns_tui.errors import WorkspaceError
from pyruns_tui.runner.slurm.commands import parse_squeue
from pyruns_tui.runner.slurm.submit import Request, Submission, sbatch_options
from pyruns_tui.workspace.settings import Settings, SlurmSettings, settings_from_dict


def test_the_slurm_settings_are_validated() -> None:
    settings = settings_from_dict({"executor": "slurm", "slurm": {
        "partition": "gpu", "time": "4:00:00", "mem": "16G", "cpus_per_task": 4, "gpus_per_task": 2,
        "gres_style": "gpus", "account": "lab", "qos": "normal", "constraint": "a100",
        "extra_args": ["--exclusive"], "array_parallelism": 8}})
    assert settings.executor == "slurm" and settings.slurm.partition == "gpu" and settings.slurm.extra_args == ("--exclusive",)
    assert settings_from_dict({}).executor == "local" and settings_from_dict({}).slurm == SlurmSettings()
    for bad, says in [({"executor": "k8s"}, "local or slurm"), ({"slurm": {"partiton": "x"}}, "unknown setting 'slurm.partiton'"),
                      ({"slurm": {"time": "1:00\n#SBATCH --x"}}, "one-line"), ({"slurm": {"extra_args": "--x"}}, "a list"),
                      ({"slurm": {"gres_style": "tres"}}, "gres or gpus"), ({"slurm": {"array_parallelism": 0}}, "from 1")]:
        with pytest.raises(WorkspaceError, match=says):
            settings_from_dict(bad)


def test_sbatch_options_command_line_beats_settings(tmp_path: Path) -> None:
    settings = Settings(max_concurrency=3, stop_grace_s=7.5, slurm=SlurmSettings(partition="cpu", time="1:00:00", mem="8G",
                        cpus_per_task=2, account="lab", extra_args=("--exclusive",)))
    request = Request(call="c", partition="gpu", sbatch_args=("--nice=5",))
    options = sbatch_options(settings, request, 20, 2, "pyruns-c", tmp_path / "o_%a.out")
    assert options[:4] == ["--array=0-19%3", "--job-name=pyruns-c", f"--output={tmp_path}/o_%a.out", "--requeue"]
    # no --signal: Slurm's may come up to 60 s early; the launcher stops the task itself (launcher.stop_at)
    assert not any(option.startswith("--signal") for option in options)
    assert {"--partition=gpu", "--time=1:00:00", "--mem=8G", "--account=lab", "--cpus-per-task=2", "--gres=gpu:2"} <= set(options)
    assert options[-2:] == ["--exclusive", "--nice=5"]
    gpus_style = Settings(slurm=SlurmSettings(gres_style="gpus", array_parallelism=2))
    options = sbatch_options(gpus_style, request, 1, 1, "n", tmp_path)
    assert "--gpus-per-task=1" in options and "--ntasks=1" in options  # (22.05 refuses --gpus-per-task alone)
    assert "--array=0-0%2" in sbatch_options(gpus_style, request, 1, 0, "n", tmp_path)


def test_run_j_travels_with_the_call_and_is_the_arrays_throttle(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pyruns_tui.runner import control

    names = [project.add(f"j{i}") for i in range(3)]
    control.queue(project.store, names, executor=control.Executor("slurm", jobs=2), start_runner=False)
    request = Request.of(project.task(names[0]))
    assert request is not None and request.parallelism == 2
    settings = Settings(max_concurrency=8, slurm=SlurmSettings(array_parallelism=5))
    assert sbatch_options(settings, request, 3, 0, "n", tmp_path)[0] == "--array=0-2%2"  # -j beats the settings
    assert sbatch_options(settings, Request(call="c"), 3, 0, "n", tmp_path)[0] == "--array=0-2%5"


def test_the_batch_script_quotes_every_value(tmp_path: Path) -> None:
    hostile = tmp_path / "it's $(touch pwned) `id` ;x"
    hostile.mkdir()
    sub = Submission(id="s1", dir=hostile, entries=[{"task": "a'b"}], sbatch=["--comment=$(touch pwned)\n#SBATCH --x"])
    sub.write_script()
    text = sub.script.read_text()
    assert text.count("\n") == 5 and not any(line.startswith("#SBATCH") for line in text.splitlines())
    done = subprocess.run(["sh", "-c", text.replace("exec ", "printf '%s\\n' ", 1)], capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout.splitlines()[-1] == str(sub.path) and not (tmp_path / "pwned").exists()


def test_squeue_lines_are_parsed() -> None:
    rows = parse_squeue("12_3|PENDING|JobArrayTaskLimit||2026-12-04T10:00:00|pyruns-x\n12_0|RUNNING|None|vm|2026-12-04T10:00:00|pyruns-x\n\nbad\n")
    assert [(r.job_id, r.array_id, r.state, r.reason, r.node) for r in rows] == [
        ("12_3", "12", "PENDING", "JobArrayTaskLimit", ""), ("12_0", "12", "RUNNING", "None", "vm")]


def test_a_task_queued_for_slurm_then_cancelled_runs_locally_when_queued_locally(project) -> None:  # type: ignore[no-untyped-def]
    from pyruns_tui.runner import control
    from pyruns_tui.workspace.model import Status

    names = [project.add(f"s{i}") for i in range(3)]
    control.queue(project.store, names, executor=control.Executor("slurm"), start_runner=False)
    assert all(Request.of(project.task(n)) is not None for n in names)
    control.cancel(project.store, names)  # before the runner submitted them
    control.queue(project.store, names, start_runner=False)  # the settings' executor: local
    for name in names:
        task = project.task(name)
        assert task.status is Status.QUEUED and Request.of(task) is None


def test_a_submission_moves_to_done_only_once_each_of_its_runs_has_ended(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The runner's full pass hands the executor every Slurm run still queued or running; one
    that could not list the tasks hands it none. A submission is moved out of the runner's way
    (done/) only when each of its runs' records, read again, says it ended or the task is gone:
    an array still running keeps its file, which its pending indices' launchers read."""
    import os

    from pyruns_tui.runner.daemon.launch import ScriptParamsCache
    from pyruns_tui.runner.daemon.record import GitCache
    from pyruns_tui.runner.slurm.executor import DONE_DIR, SlurmExecutor
    from pyruns_tui.runner.slurm.submit import entry, load_all, slurm_dir
    from pyruns_tui.workspace.model import Run, Status

    live, gone = project.add("live"), project.add("gone")
    for name in (live, gone):
        project.store.update(name, lambda t: t.runs.append(Run(index=1, status=Status.RUNNING, backend="slurm")))
    folder = slurm_dir(project.layout)
    folder.mkdir(parents=True)
    sub = Submission(id="20261206-000000-abcd", dir=folder, job_id="77")
    sub.entries = [entry(n, 1, ["true"], {}, tmp_path, tmp_path / "l", tmp_path / "r", 1.0) for n in (live, gone)]
    sub.save()
    sub.write_script()
    (folder / f"{sub.id}_0.out").write_text("")
    (folder / f"{sub.id}_1.out").write_text("pyruns launcher: said something\n")
    said: list[str] = []
    executor = SlurmExecutor(project.layout, project.store, said.append, lambda task, why: None,
                             ScriptParamsCache(project.layout), GitCache())
    assert list(executor.subs) == ["77"]
    project.store.trash([gone])
    executor.tick(Settings(), [], [], full=True)  # a full pass that found no Slurm run queued or running
    assert [s.id for s in load_all(project.layout)] == [sub.id] and not (folder / DONE_DIR).exists()

    def ended(task) -> None:  # type: ignore[no-untyped-def]
        task.runs[-1].status = Status.COMPLETED
        task.status = Status.COMPLETED

    project.store.update(live, ended)
    executor.tick(Settings(), [], [])  # not a full pass: no move
    assert load_all(project.layout)
    executor.tick(Settings(), [], [], full=True)
    assert load_all(project.layout) == [] and executor.subs == {} and said == []
    assert sorted(os.listdir(folder / DONE_DIR)) == [f"{sub.id}.json", f"{sub.id}.sh", f"{sub.id}_1.out"]
    assert (folder / DONE_DIR / f"{sub.id}_1.out").read_text() == "pyruns launcher: said something\n"
    assert sorted(os.listdir(folder)) == [DONE_DIR]
    again = SlurmExecutor(project.layout, project.store, said.append, lambda task, why: None,
                          ScriptParamsCache(project.layout), GitCache())
    assert again.subs == {} and again.unanswered == {}


def test_a_slurm_run_records_the_command_line_it_is_launched_with(project, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The launcher on the compute node runs the entry's argv; the run's record says it (secrets
    redacted as in a local run's), as `pyr-tui show` prints it. A stand-in `sbatch` answers a job id."""
    import json
    import os
    import shlex

    from pyruns_tui.runner import control
    from pyruns_tui.runner.daemon.launch import ScriptParamsCache
    from pyruns_tui.runner.daemon.record import GitCache
    from pyruns_tui.runner.slurm.executor import SlurmExecutor
    from pyruns_tui.runner.slurm.submit import load_all

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool, answer in (("sbatch", "4242"), ("squeue", "")):
        (bin_dir / tool).write_text(f"#!/bin/sh\necho {shlex.quote(answer)}\n")
        (bin_dir / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    line = "python train.py --lr 0.01 --hf_token hf_abcdefghijklmnopqrstuvwxyz"
    name = project.add("on_slurm", command=line)
    control.queue(project.store, [name], executor=control.Executor("slurm"), start_runner=False)
    executor = SlurmExecutor(project.layout, project.store, lambda said: None, lambda task, why: None,
                             ScriptParamsCache(project.layout), GitCache())
    executor.tick(Settings(executor="slurm"), [], [project.task(name)])
    run = project.task(name).last_run
    assert run is not None and run.backend == "slurm" and run.slurm_job_id == "4242_0"
    shell = os.environ.get("SHELL") or "/bin/sh"
    assert run.argv == [shell, "-c", "python train.py --lr 0.01 --hf_token <redacted>"]
    (sub,) = load_all(project.layout)
    assert sub.entries[0]["argv"] == [shell, "-c", line]  # what the node runs: the real value
    assert "hf_abcdefghij" not in json.dumps(project.task(name).to_dict())


def _stand_in(bin_dir: Path, tool: str, script: str) -> None:
    """A `tool` on PATH that runs this shell `script` (a real subprocess, as Slurm's would be)."""
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / tool).write_text("#!/bin/sh\n" + script)
    (bin_dir / tool).chmod(0o755)


def test_a_refused_submission_says_the_option_and_where_to_look(project, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                 monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """sbatch's refusal in one line: its own words without its prefixes, the option it is about,
    and how to see what the cluster has. It said `Slurm refused the submission: sbatch failed:
    sbatch: error: Batch job submission failed: Invalid partition name specified`, the Manager's
    error column `sbatch fai`, and never which partition."""
    import os

    bin_dir = tmp_path / "bin"
    _stand_in(bin_dir, "sbatch", "echo 'sbatch: error: Batch job submission failed: Invalid partition name specified' >&2\n"
                                 "exit 1\n")
    _stand_in(bin_dir, "squeue", "exit 0\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    name = project.add("typo", "print(1)")
    assert project.cli("run", name, "--executor", "slurm", "--partition", "gpu-typo") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["pyr-tui: error: Slurm refused the submission: Invalid partition name specified: "
                   "--partition=gpu-typo (`sinfo -s` lists the partitions)"], err
    task = project.task(name)
    assert task.reason == "Invalid partition name specified: --partition=gpu-typo (`sinfo -s` lists the partitions)"


def test_sbatch_refusals_name_the_options_they_are_about() -> None:
    from pyruns_tui.runner.slurm.commands import _message, refusal

    options = ["--array=0-3%4", "--partition=debug", "--time=4:00:00", "--gres=gpu:1", "--mem=100G", "-c", "64"]
    said = _message("sbatch", "sbatch: error: Batch job submission failed: Requested node configuration is not "
                              "available\n", 1)
    assert refusal(said, options) == ("Requested node configuration is not available: --partition=debug --gres=gpu:1 "
                                      "--mem=100G -c 64 (no node of the partition has that much: "
                                      "`sinfo -N -o '%P %c %m %G %f'` shows what each has)")
    said = _message("sbatch", "sbatch: error: Invalid --time specification\n", 1)
    assert refusal(said, ["-t", "1:2:3:4"]).startswith("Invalid --time specification: -t 1:2:3:4 (e.g. 30 (minutes)")
    # a refusal it has no words for is left as sbatch said it, an option it does not know named
    said = _message("sbatch", "sbatch: unrecognized option '--bogus'\nTry \"sbatch --help\" for more information\n", 1)
    assert refusal(said, options) == "unrecognized option '--bogus'"


def test_a_stopped_slurm_run_is_polled_again_within_a_second(project, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A stop reaches the launcher, which ends the task within its grace; the poll right after the
    scancel still sees the index running. That poll doubled the backed-off interval (up to 30 s):
    the task read `running` in the Manager and `pyr-tui wait` for up to 30 s after its job was gone."""
    import json
    import os
    import time

    from pyruns_tui.runner import control
    from pyruns_tui.runner.daemon.launch import ScriptParamsCache
    from pyruns_tui.runner.daemon.record import GitCache
    from pyruns_tui.runner.slurm import records as R
    from pyruns_tui.runner.slurm.executor import POLL_MIN_S, SlurmExecutor
    from pyruns_tui.workspace.model import Status

    bin_dir = tmp_path / "bin"
    cancels = tmp_path / "cancels"
    folder = project.layout.runner_dir / "slurm"
    _stand_in(bin_dir, "sbatch", "echo 4242\n")
    # the index runs, under the submission's job name
    _stand_in(bin_dir, "squeue", f'[ -e {tmp_path}/gone ] || for f in {folder}/2*.json; do n=$(basename "$f" .json); '
                                 'echo "4242_0|RUNNING|None|node1|2026-12-06T10:00:00|pyruns-$n"; done\n')
    _stand_in(bin_dir, "scancel", f'echo "$@" >> {cancels}\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    name = project.add("long", "print(1)")
    control.queue(project.store, [name], executor=control.Executor("slurm"), start_runner=False)
    executor = SlurmExecutor(project.layout, project.store, lambda said: None, lambda task, why: None,
                             ScriptParamsCache(project.layout), GitCache())
    settings = Settings(executor="slurm", stop_grace_s=10)
    executor.tick(settings, [], [project.task(name)])  # submitted, then polled at once
    assert project.task(name).status is Status.RUNNING
    executor.interval = 16.0  # nothing changed for a while: the polls backed off
    control.stop(project.store, [name], start_runner=False)
    executor.tick(settings, [project.task(name)], [])
    assert cancels.read_text() == "--batch --signal=TERM 4242_0\n"
    assert project.task(name).status is Status.RUNNING  # the poll right after: still running
    assert executor.next_poll - time.monotonic() <= POLL_MIN_S, executor.interval
    # the launcher stopped the task and the job left squeue: the next poll ends the run
    record = {"version": 1, "task": name, "run": 1, "supervisor_pid": 1, "child_pid": 2, "state": "exited",
              "exit_code": None, "signal": 15,
              "stopped": True, "started_at": time.time() - 5, "finished_at": time.time(), "duration_s": 5.0,
              "error": None, "backend": "slurm", "node": "node1", "slurm_job_id": "4242_0", "attempt": 0}
    R.record_path(project.layout, name, 1).write_text(json.dumps(record))
    (tmp_path / "gone").touch()
    executor.next_poll = 0.0
    executor.tick(settings, [project.task(name)], [])
    task = project.task(name)
    assert (task.status, task.reason) == (Status.INTERRUPTED, "stopped by user")


def test_a_slurm_run_that_ended_on_its_node_is_polled_at_once(project, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A run whose launcher wrote its exit record (on the shared filesystem) is asked about at
    the next pass, not after the backed-off interval: `pyr-tui wait` returned 17 s after a 45 s
    task ended, and the Manager said `running` meanwhile (up to 30 s after a long one)."""
    import json
    import os
    import time

    from pyruns_tui.runner import control
    from pyruns_tui.runner.daemon.launch import ScriptParamsCache
    from pyruns_tui.runner.daemon.record import GitCache
    from pyruns_tui.runner.slurm import records as R
    from pyruns_tui.runner.slurm.executor import POLL_MIN_S, SlurmExecutor
    from pyruns_tui.workspace.model import Status

    bin_dir = tmp_path / "bin"
    folder = project.layout.runner_dir / "slurm"
    _stand_in(bin_dir, "sbatch", "echo 4243\n")
    polls = tmp_path / "polls"
    _stand_in(bin_dir, "squeue", f'echo >> {polls}; [ -e {tmp_path}/gone ] || for f in {folder}/2*.json; do '
                                 'n=$(basename "$f" .json); echo "4243_0|RUNNING|None|node1|2026-12-06T10:00:00|pyruns-$n"; done\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    name = project.add("quick", "print(1)")
    control.queue(project.store, [name], executor=control.Executor("slurm"), start_runner=False)
    executor = SlurmExecutor(project.layout, project.store, lambda said: None, lambda task, why: None,
                             ScriptParamsCache(project.layout), GitCache())
    settings = Settings(executor="slurm")
    executor.tick(settings, [], [project.task(name)])  # submitted, then polled at once: running
    assert project.task(name).status is Status.RUNNING
    record = {"version": 1, "task": name, "run": 1, "supervisor_pid": 1, "child_pid": 2, "state": "running",
              "started_at": time.time() - 45, "backend": "slurm", "node": "node1", "slurm_job_id": "4243_0", "attempt": 0}
    path = R.record_path(project.layout, name, 1)
    path.write_text(json.dumps(record))
    executor.interval, executor.next_poll = 16.0, time.monotonic() + 16.0  # the polls backed off
    executor.tick(settings, [project.task(name)], [])  # a pass (the runner's rescan): nothing due
    assert project.task(name).status is Status.RUNNING
    asked = len(polls.read_text())
    record.update(state="exited", exit_code=0, finished_at=time.time(), duration_s=45.0)
    path.write_text(json.dumps(record) + " ")  # (the launcher replaces it atomically)
    executor.tick(settings, [project.task(name)], [])  # squeue still has the job (COMPLETING, say)
    assert len(polls.read_text()) == asked + 1 and project.task(name).status is Status.RUNNING
    assert executor.next_poll - time.monotonic() <= POLL_MIN_S, executor.interval  # asked again in a second
    (tmp_path / "gone").touch()
    executor.next_poll = 0.0
    executor.tick(settings, [project.task(name)], [])
    assert project.task(name).status is Status.COMPLETED


def test_a_stopped_pending_index_a_poll_sees_cancelled_first_is_cancelled_while_queued_once(  # type: ignore[no-untyped-def]
        project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stop of a pending index: its scancel runs in a thread, and a poll that began meanwhile
    may see the job CANCELLED before the call is seen done. That poll ended it `stopped by user`
    (test_an_array_cancelled_while_pending_moves_to_done failed so under load), and the call's
    end then wrote the run's end a second time. Now both say `cancelled while queued on Slurm`,
    written once. Stand-in sbatch and squeue (a real subprocess each) give the job id."""
    import os
    import threading
    from types import SimpleNamespace

    from pyruns_tui.runner import control
    from pyruns_tui.runner.daemon.launch import ScriptParamsCache
    from pyruns_tui.runner.daemon.record import GitCache
    from pyruns_tui.runner.slurm.commands import JobRow
    from pyruns_tui.runner.slurm.executor import Cancels, SlurmExecutor
    from pyruns_tui.runner.slurm.submit import load_all
    from pyruns_tui.workspace.model import Status

    bin_dir = tmp_path / "bin"
    _stand_in(bin_dir, "sbatch", "echo 4242\n")
    folder = project.layout.runner_dir / "slurm"
    _stand_in(bin_dir, "squeue", f'for f in {folder}/2*.json; do n=$(basename "$f" .json); '
                                 'echo "4242_0|PENDING|JobHeldUser||2026-12-06T10:00:00|pyruns-$n"; done\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    name = project.add("held", "print(1)")
    control.queue(project.store, [name], executor=control.Executor("slurm"), start_runner=False)
    said: list[str] = []
    executor = SlurmExecutor(project.layout, project.store, said.append, lambda task, why: None,
                             ScriptParamsCache(project.layout), GitCache())
    executor.tick(Settings(executor="slurm"), [], [project.task(name)])
    run = project.task(name).last_run
    assert run is not None and run.status is Status.QUEUED and run.slurm_job_id == "4242_0"
    project.store.update(name, lambda t: setattr(t, "stop_requested", True))
    done = threading.Event()
    executor.cancelling = Cancels([project.task(name)], SimpleNamespace(done=done, error=None))  # type: ignore[arg-type]
    (sub,) = load_all(project.layout)
    executor._take([JobRow("4242_0", "CANCELLED", "None", "", "", f"pyruns-{sub.id}")], None, [project.task(name)])
    task = project.task(name)
    assert (task.status, task.last_run.reason if task.last_run else None) == (
        Status.INTERRUPTED, "cancelled while queued on Slurm")
    done.set()
    assert executor._stops_done() == set()  # (it ended already: not ended again)
    assert [line for line in said if "interrupted" in line] == [f"{name}: run 1 interrupted (cancelled while queued on Slurm)"]
