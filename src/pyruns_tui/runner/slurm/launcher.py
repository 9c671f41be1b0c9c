"""On the compute node: run one array index's task exactly like the local supervisor does.

`python -m pyruns_tui.runner.slurm.launcher SUBMISSION.json` (the batch script's only line)
picks the entry of `$SLURM_ARRAY_TASK_ID`, appends a marker line to the run log when Slurm
requeued the job (the log continues), and becomes the supervisor: same pty, same log format,
same state file, written atomically as the exit record `run_logs/runN.exit.json` with the node,
the job id, the attempt and CUDA_VISIBLE_DEVICES added. Exits with the task's exit code.

The time limit: the launcher asks squeue how long the job has left and the supervisor stops
the task (SIGTERM, SIGKILL after the grace) the grace before that end, recording `deadline`.
Slurm's own `--signal=B:TERM@grace` is not used: it may come up to 60 s early (sbatch(1)).
A limit changed while the job runs (`scontrol update JobId=... TimeLimit=...`) is followed: a
small process of the launcher's (`follow_limit`, not a child of the supervisor, which reaps and
kills every child of its own) asks squeue again every REREAD_S, more often near the end (half
the time left to the stop, not under NEAR_END_S), and sends the supervisor each new stop time
on a socket; a failed squeue keeps the last one. The supervisor writes one line into the run log
when the stop moves (either way). A limit raised after the last re-read is not missed: when the
stop comes, the supervisor asks on the socket (`?`) and the follower answers with a fresh squeue
(the stop, moved or not; the known one when squeue fails); the stop waits for that answer
CONFIRM_S (2 s) at most, then is sent as it was.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import sys
import time
from typing import Any

from pyruns_tui.contracts import PTY_COLUMNS, PTY_ROWS
from pyruns_tui.errors import RunnerError
from pyruns_tui.runner.daemon.supervisor import CONFIRM_S, supervise
from pyruns_tui.runner.knobs import positive_seconds
from pyruns_tui.runner.slurm.commands import parse_time_left, run, time_left
from pyruns_tui.workspace.fsio import read_json

REREAD_S = 60.0  # how often a running job's time left is asked again (one `squeue -j` each)
REREAD_ENV = "PYRUNS_TUI_SLURM_LIMIT_REREAD_S"  # shortens it (for tests): read in the job's environment
NEAR_END_S = 5.0  # near the stop, asked again after half the time left, never sooner than this
MOVE_S = 5.0  # a stop time that moved less than this (squeue's rounding, its latency) stays


def marker(attempt: int, node: str) -> bytes:
    """The line that separates two attempts of one run in its log."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    return f"\r\n[pyruns] requeued by Slurm: attempt {attempt + 1} on {node} at {stamp}\r\n".encode()


def spec_for(entry: dict[str, Any], environ: dict[str, str]) -> dict[str, Any]:
    """The supervisor spec: the node's environment (Slurm's, with its GPUs) + the task's variables."""
    node = environ.get("SLURMD_NODENAME") or socket.gethostname()
    job = environ.get("SLURM_ARRAY_JOB_ID")
    index = environ.get("SLURM_ARRAY_TASK_ID")
    record = {
        "backend": "slurm",
        "node": node,
        "slurm_job_id": f"{job}_{index}" if job and index else environ.get("SLURM_JOB_ID"),
        "attempt": int(environ.get("SLURM_RESTART_COUNT") or 0),
        "cuda_visible_devices": environ.get("CUDA_VISIBLE_DEVICES"),
    }
    return {
        "argv": entry["argv"],
        "env": {**environ, **entry["env"]},
        "cwd": entry["cwd"],
        "log": entry["log"],
        "cols": PTY_COLUMNS,
        "rows": PTY_ROWS,
        "grace_s": entry.get("grace_s", 10.0),
        "task": entry["task"],
        "run": entry["run"],
        "record": record,
        **({"wake": entry["wake"]} if isinstance(entry.get("wake"), str) else {}),
    }


def stop_at(environ: dict[str, str], grace_s: float) -> float | None:
    """When the task is to be stopped (a time since the epoch): the grace before the job's time
    limit, or None when it has none or squeue cannot say (then Slurm's own SIGTERM at the limit,
    KillWait before its SIGKILL, is the only warning; the line on stderr, in the job's output, says so)."""
    job = environ.get("SLURM_JOB_ID")
    if not job:
        return None
    asked = time.time()  # before squeue: the end it implies is never later than the real one
    try:
        left = time_left(job)
    except RunnerError as exc:
        sys.stderr.write(f"pyruns launcher: cannot read job {job}'s time left ({exc}): no stop before its time limit\n")
        return None
    return None if left is None else asked + left - grace_s


def next_stop(text: str, asked: float, grace_s: float) -> tuple[bool, float | None]:
    """What squeue's `%L` (asked at `asked`) says of the stop: (known, the stop or None for no
    limit); not known for anything but a time or `UNLIMITED` (the last stop then stays)."""
    if text.strip() == "UNLIMITED":
        return True, None
    left = parse_time_left(text)
    return (False, None) if left is None else (True, asked + left - grace_s)


def follow_limit(channel: int, job: str, stop: float | None, grace_s: float, every: float) -> None:
    """Ask squeue for the job's time left again and again; write each stop time that moved (one
    line: a time since the epoch, or `none`) to `channel`, until the supervisor closes its end.
    Whatever the supervisor writes (`?`: its stop has come) is answered at once by a fresh squeue:
    the stop line, moved or not (the known one when squeue fails or is slower than CONFIRM_S)."""
    poller = select.poll()
    poller.register(channel, select.POLLIN)
    while True:
        wait = every if stop is None else min(every, max(NEAR_END_S, (stop - time.time()) / 2))
        asked_to = bool(poller.poll(int(wait * 1000) + 1))
        if asked_to:
            try:
                if not os.read(channel, 64):
                    return  # the supervisor is gone
            except OSError:
                return
        asked = time.time()
        try:
            argv = ["squeue", "-h", "-j", job, "-o", "%L"]
            known, new = next_stop(run(argv, CONFIRM_S) if asked_to else run(argv), asked, grace_s)
        except RunnerError:
            known, new = False, None  # the last stop stays
        moved = known and new != stop and (new is None or stop is None or abs(new - stop) >= MOVE_S)
        if moved:
            stop = new
        if not (moved or asked_to):
            continue
        try:
            os.write(channel, b"none\n" if stop is None else f"{stop!r}\n".encode())
        except OSError:
            return


def watch_limit(environ: dict[str, str], stop: float | None, grace_s: float) -> int:
    """Start `follow_limit` for this job in a grandchild (reparented away at once: the
    supervisor's waits and kills never meet it); the supervisor's end of its socket, -1 without a job."""
    job = environ.get("SLURM_JOB_ID")
    if not job:
        return -1
    every = positive_seconds(environ, REREAD_ENV, REREAD_S)
    ours, theirs = (end.detach() for end in socket.socketpair())  # (not inherited by the task)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(ours)
            if os.fork() == 0:
                follow_limit(theirs, job, stop, grace_s, every)
        except BaseException:  # noqa: BLE001 - never return into the launcher's code
            with contextlib.suppress(Exception):
                sys.stderr.write(f"pyruns launcher: following job {job}'s time limit failed\n")
        finally:
            os._exit(0)
    os.close(theirs)
    os.waitpid(pid, 0)
    return ours


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m pyruns_tui.runner.slurm.launcher SUBMISSION.json\n")
        return 2
    index = os.environ.get("SLURM_ARRAY_TASK_ID")
    try:
        entries = read_json(argv[1])["tasks"]
    except (OSError, ValueError, KeyError, TypeError) as exc:  # a FIFO, a symlink, garbage: one line, no hang
        sys.stderr.write(f"pyruns launcher: cannot read {argv[1]}: {exc}\n")
        return 2
    if index is None or not index.isdigit() or int(index) >= len(entries):
        sys.stderr.write(f"pyruns launcher: no task for array index {index!r} in {argv[1]}\n")
        return 2
    spec = spec_for(entries[int(index)], dict(os.environ))
    attempt = spec["record"]["attempt"]
    os.makedirs(os.path.dirname(spec["log"]), exist_ok=True)
    if attempt > 0:
        fd = os.open(spec["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            os.write(fd, marker(attempt, spec["record"]["node"]))
        finally:
            os.close(fd)
    record_path = entries[int(index)]["record"]
    spec["stop_at"] = stop_at(dict(os.environ), float(spec["grace_s"]))
    deadline = watch_limit(dict(os.environ), spec["stop_at"], float(spec["grace_s"]))
    try:
        code = supervise(record_path, spec, -1, deadline=deadline)
    finally:
        if deadline >= 0:
            os.close(deadline)
    if code != 0:
        return code
    state = read_json(record_path)
    if state.get("exit_code") is not None:
        return int(state["exit_code"])
    return 128 + int(state.get("signal") or 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
