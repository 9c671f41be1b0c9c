"""One command for every benchmark figure, ours side by side with peers (pyruns, GNU parallel).

    python benchmarks/run.py                # full run (~10-15 min): docs/benchmarks.md + benchmarks/results.json
    python benchmarks/run.py --peers        # also install/measure pyruns and GNU parallel (fails if missing)
    python benchmarks/run.py --quick        # < 2 min smoke: fewer repeats, smaller sizes (writes under _work/)
    python benchmarks/run.py --only startup.help --results /tmp/r.json --doc /tmp/b.md
    python benchmarks/run.py --list         # the figure keys --only accepts

Not a test: goals missed are reported (verdict "fail"), the exit status is 1 only when a figure
could not be measured (or, with --strict, when a goal is missed), 2 when --peers cannot get a peer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from suite import fig_logs, fig_memory, fig_scale, fig_scheduler, fig_tasks, fig_tui  # noqa: E402
from suite.context import Context, Mode  # noqa: E402
from suite.harness import BenchError, Measurement  # noqa: E402
from suite.machine import git_revision, load_average, machine_info  # noqa: E402
from suite.peers import REPO, WORK, Ours, PeerMissing, find_peers, not_asked  # noqa: E402
from suite.report import write_json, write_markdown  # noqa: E402
from suite.rooms import present_rooms, run_room  # noqa: E402

DEFAULT_RESULTS = REPO / "benchmarks" / "results.json"
DEFAULT_DOC = REPO / "docs" / "benchmarks.md"
PARTIAL_RESULTS = WORK / "results-partial.json"
PARTIAL_DOC = WORK / "benchmarks-partial.md"

Figure = Callable[[Context], "Measurement | list[Measurement]"]


@dataclass(frozen=True)
class Entry:
    """One selectable piece of the run (a key for --only) and what measures it."""

    key: str
    figure: int
    measure: Figure


def entries(mode: Mode) -> list[Entry]:
    small, large = mode.sizes
    return [
        Entry("create.small", 1, lambda c: fig_tasks.create(c, small)),
        Entry("create.large", 1, lambda c: fig_tasks.create(c, large)),
        Entry("list.small", 2, lambda c: fig_tasks.listing(c, small)),
        Entry("list.large", 2, lambda c: fig_tasks.listing(c, large)),
        Entry("list.manager", 2, lambda c: fig_tasks.manager_open(c, large)),
        Entry("scheduler.sleep", 3, fig_scheduler.sleep_batch),
        Entry("scheduler.noop", 3, fig_scheduler.noop_batch),
        Entry("logs.flood", 4, fig_logs.flood),
        Entry("logs.monitor", 4, fig_logs.monitor_follow),
        Entry("startup.help", 5, fig_tui.help_time),
        Entry("startup.frame", 5, fig_tui.first_frame),
        Entry("startup.import", 5, fig_tui.import_time),
        Entry("idle", 6, fig_tui.idle),
        Entry("memory.runner", 7, lambda c: fig_memory.runner_rss(c, large)),
        Entry("memory.tui", 7, lambda c: fig_memory.tui_rss(c, large)),
        Entry("scale", 8, fig_scale.growth),
    ]


def selected(all_entries: list[Entry], only: list[str]) -> list[Entry]:
    if not only:
        return all_entries

    def wanted(entry: Entry) -> bool:
        return any(key == entry.key or entry.key.startswith(key + ".") or key == str(entry.figure)
                   for key in only)

    return [e for e in all_entries if wanted(e)]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:8]))
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller sizes (< 2 min)")
    parser.add_argument("--peers", action="store_true",
                        help="install pyruns into benchmarks/_work/peers-venv and measure it and "
                             "GNU parallel (exit 2 if either is missing)")
    parser.add_argument("--only", action="append", default=[], metavar="KEY",
                        help="run only these figures: a key from --list, its group (e.g. "
                             "`startup`), a figure number, or `rooms`; repeatable, or comma-separated")
    parser.add_argument("--repeats", type=int, help="samples per figure (default 5, quick 3)")
    parser.add_argument("--rooms", dest="rooms", action="store_true", default=None,
                        help="also run the per-room scripts (default: on in a full run)")
    parser.add_argument("--no-rooms", dest="rooms", action="store_false")
    parser.add_argument("--results", type=Path, help=f"results JSON (default {DEFAULT_RESULTS.relative_to(REPO)} "
                        f"for a full run, else {PARTIAL_RESULTS.relative_to(REPO)})")
    parser.add_argument("--doc", type=Path, help=f"Markdown report (default {DEFAULT_DOC.relative_to(REPO)} "
                        f"for a full run, else {PARTIAL_DOC.relative_to(REPO)})")
    parser.add_argument("--keep", action="store_true", help="keep the scratch workspaces")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--list", action="store_true", help="list the figure keys and exit")
    args = parser.parse_args(argv)
    args.only = [k.strip() for item in args.only for k in item.split(",") if k.strip()]
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode = Mode.of(args.quick, args.repeats)
    figure_keys = [k for k in args.only if k != "rooms"]
    chosen = selected(entries(mode), figure_keys) if figure_keys or not args.only else []
    if args.list:
        for e in entries(mode):
            print(f"{e.figure}  {e.key}")
        print("-  rooms")
        return 0
    if args.only and not chosen and "rooms" not in args.only:
        log(f"run.py: no figure matches --only {','.join(args.only)} (see --list)")
        return 2
    run_rooms = "rooms" in args.only if args.only else (args.rooms if args.rooms is not None else not args.quick)
    full = not args.quick and not args.only
    results_path = args.results or (DEFAULT_RESULTS if full else PARTIAL_RESULTS)
    doc_path = args.doc or (DEFAULT_DOC if full else PARTIAL_DOC)

    started = dt.datetime.now(dt.timezone.utc)
    begin = time.perf_counter()
    machine = machine_info()
    log(f"load average {machine['load_average_start']} on {machine['logical_cores']} cores")
    if args.peers:
        try:
            peers = find_peers(log)
        except PeerMissing as exc:
            log(f"run.py: --peers: {exc}")
            return 2
    else:
        peers = not_asked()
    WORK.mkdir(parents=True, exist_ok=True)
    scratch = WORK / f"scratch-{started:%Y%m%dT%H%M%S}-{os.getpid()}"
    ctx = Context(mode=mode, ours=Ours.find(), peers=peers, scratch=scratch, log=log)
    rows: list[Measurement] = []
    try:
        for n, entry in enumerate(chosen, 1):
            log(f"[{n}/{len(chosen)}] {entry.key} ...")
            t0 = time.perf_counter()
            new = measure(ctx, entry)
            rows += new
            log(f"    {time.perf_counter() - t0:.1f} s: " + "; ".join(
                f"{m.id} = {m.ours.median if m.error is None else m.error} {m.unit} [{m.verdict}]"
                for m in new))
        rooms = {}
        if run_rooms:
            for room in present_rooms():
                log(f"[room] {room.script} ...")
                rooms[room.key] = run_room(room).to_json()
    finally:
        ctx.cleanup()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)

    data = {
        "schema_version": 1,
        "run": {
            "command": "python benchmarks/run.py" + "".join(f" {shlex.quote(a)}" for a in (argv if argv is not None else sys.argv[1:])),
            "mode": "quick" if args.quick else "full",
            "only": args.only,
            "started_at": started.isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - begin, 1),
            "load_average_end": load_average(),
            "git": git_revision(REPO),
            "ours_version": ctx.ours.version(),
        },
        "machine": machine,
        "peers": peers.to_json(),
        "measurements": [m.to_json() for m in rows],
        "rooms": rooms,
    }
    write_json(results_path, data)
    write_markdown(doc_path, data, rows)
    log(f"wrote {results_path} and {doc_path} ({data['run']['duration_s']:.0f} s)")
    if any(m.verdict == "error" for m in rows):
        return 1
    return 1 if args.strict and any(m.verdict == "fail" for m in rows) else 0


def measure(ctx: Context, entry: Entry) -> list[Measurement]:
    """Run one entry; a failure becomes an error row instead of ending the whole run."""
    try:
        result = entry.measure(ctx)
        return result if isinstance(result, list) else [result]
    except (BenchError, OSError) as exc:
        message = str(exc)
    except Exception as exc:  # noqa: BLE001 - a broken figure is reported, the others still run
        message = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    log(f"    error: {message}")
    return [Measurement(entry.key, entry.figure, entry.key, "", error=message)]


if __name__ == "__main__":
    sys.exit(main())
