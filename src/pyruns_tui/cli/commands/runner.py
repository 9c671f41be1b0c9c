"""`pyr-tui runner status|start|stop|resume`: the workspace's background runner.

`status` shows whether it runs, its concurrency and what it is doing (`--json` for scripts),
and whether the circuit breaker paused the queue; `resume` lets queued tasks start again.
`stop` makes it exit; running tasks keep running and are adopted by the next runner (add
`--tasks` to stop them and cancel queued ones first). `start` starts it if needed.
"""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

    from pyruns_tui.cli.context import Context

NAME = "runner"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="status / start / stop of the background runner", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=("status", "start", "stop", "resume"), help="what to do")
    p.add_argument("--json", action="store_true", help="machine-readable status")
    p.add_argument("--tasks", action="store_true", help="with stop: stop running tasks and cancel queued ones first")


def status_dict(ctx: Context) -> dict[str, Any]:
    """The stable `runner status --json` document."""
    from pyruns_tui.runner import client, control
    from pyruns_tui.runner.limits import Limits
    from pyruns_tui.runner.liveness import running
    from pyruns_tui.runner.paths import RunnerPaths
    from pyruns_tui.runner.slurm.view import workspace_jobs
    from pyruns_tui.workspace.model import Status

    store = ctx.store()
    layout = store.layout
    info = client.runner_info(layout)
    tasks = store.scan()
    limits = Limits.of(layout, ctx.settings())  # (control.json read once, for both forms)
    return {
        "workspace": layout.name,
        "running": info is not None,
        "runner": info.to_dict() if info else None,
        "max_concurrency": limits.local,  # local tasks; see limits
        "concurrency_override": limits.local if limits.local_by_run_j else None,
        "limits": limits.to_dict(),
        "limit_text": limits.text(other_in_use=limits.other_in_use(tasks)),
        "tasks": {
            "running": running(layout, tasks),  # not a run whose end the runner is recording
            "queued": [t.name for t in tasks if t.status is Status.QUEUED],
            "waiting": {t.name: t.reason for t in tasks if t.status is Status.QUEUED and t.reason},
        },
        "log": str(RunnerPaths.of(layout).log),
        "paused": pause.to_dict() if (pause := control.paused(layout)) else None,
        "executor": ctx.settings().executor,
        "slurm": cluster.to_dict() if (cluster := workspace_jobs(layout, tasks)).jobs else None,
    }


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.cli.context import print_json
    from pyruns_tui.runner import client, control

    if args.action == "stop":  # without -w, each workspace's runner (cleaning up needed -w for each)
        for each in ctx.each_workspace():
            _stop(each, args)
        return 0
    layout = ctx.store().layout
    if args.action == "start":
        pid = client.ensure_runner(layout)
        print(f"runner running (pid {pid})")
        return 0
    if args.action == "resume":
        lifted = control.resume(ctx.store())
        print(f"resumed (was paused: {lifted.message})" if lifted else "the runner was not paused")
        return 0
    status = status_dict(ctx)
    if args.json:
        print_json(status)
        return 0
    info = status["runner"]
    if info:
        print(f"runner: running, pid {info['pid']} since {info['started_at']} on {info['host']}")
        print(f"gpus:   {info['gpus']} ({info['gpu_backend']})")
    elif status["tasks"]["queued"]:  # killed, or stopped with tasks left queued (ls and show start none)
        from pyruns_tui.runner.liveness import unattended_hint

        print("runner: not running; " + unattended_hint(len(status["tasks"]["queued"])))
    elif status["tasks"]["running"]:  # (`runner stop` left them)
        print("runner: not running, so the ends of running tasks wait for it: `pyr-tui runner start` starts it "
              "(so do `pyr-tui run`, `pyr-tui wait` and opening the TUI)")
    else:
        print("runner: not running (`pyr-tui run` starts it when it queues tasks)")
    print(f"limit:  {status['limit_text']}")
    if status["paused"]:
        print(f"paused: {status['paused']['message']} (`pyr-tui runner resume` starts queued tasks again)")
    tasks = status["tasks"]
    print(f"tasks:  {len(tasks['running'])} running, {len(tasks['queued'])} queued")
    from pyruns_tui.runner.slurm.pending import never_starts

    for name, reason in list(tasks["waiting"].items())[:10]:
        what = f" (it never starts as asked: `pyr-tui show {name}` says what to do)" if never_starts(reason) else ""
        print(f"  {name}: {reason}{what}")
    _print_slurm(status)
    print(f"log:    {status['log']}")
    return 0


def _print_slurm(status: dict[str, Any]) -> None:
    slurm = status["slurm"]
    print(f"executor: {status['executor']}")
    if not slurm:
        return
    jobs = slurm["jobs"]
    counts: dict[str, int] = {}
    for job in jobs.values():
        counts[job["state"]] = counts.get(job["state"], 0) + 1
    print("slurm:  " + ", ".join(f"{n} {state}" for state, n in counts.items()) + f" (last poll {slurm['polled_at'] or 'not yet'})")
    if slurm["error"]:
        print(f"  poll failed: {slurm['error']}")
    for name, job in list(jobs.items())[:20]:
        where = f" on {job['node']}" if job["node"] and job["state"] != "PENDING" else ""
        why = f" ({job['reason']})" if job["reason"] and job["reason"] != "None" else ""
        print(f"  {name}: {job['job'] or '-'} {job['state']}{where}{why}")
    if len(jobs) > 20:
        print(f"  ... {len(jobs) - 20} more (--json lists all)")


def _stop(ctx: Context, args: argparse.Namespace) -> None:
    """`runner stop [--tasks]` of one workspace."""
    from pyruns_tui.runner import client, control
    from pyruns_tui.workspace.model import Status

    layout = ctx.store().layout
    if args.tasks:
        outcome = control.stop_all(ctx.store(), start_runner=client.runner_alive(layout))
        if outcome.stopping:
            control.wait(ctx.store(), outcome.stopping)
    print(f"{ctx.label}{'runner stopped' if client.stop_runner(layout) else 'no runner was running'}")
    running = [t.name for t in ctx.store().scan() if t.status is Status.RUNNING]
    if running:
        from pyruns_tui.humanize import plural

        adopts = 'it' if len(running) == 1 else 'them'
        sys.stderr.write(f"{ctx.label}{plural(len(running), 'task')} still running; the next runner adopts {adopts}\n")
