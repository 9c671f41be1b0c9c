"""Figure 4: the log path: a task flooding its output through the runner, and the Monitor following one."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ptyfloor import build as build_ptyfloor

from suite.context import TASK_ARGS, Context, stop_our_runner
from suite.harness import BenchError, Goal, Measurement, run_cmd, side_by_side
from suite.peers import BENCH_DIR

# Realistic terminal text (colours, UTF-8, tqdm-style \r redraws) in numbered blocks, so a lost,
# doubled or reordered block changes the hash; \n -> \r\n translation would too.
FLOOD_SCRIPT = TASK_ARGS + """\
import sys
LINE = ("\\x1b[1;32mINFO\\x1b[0m step %08d loss=0.123456 acc=98.7%% \u00fcn\u00efc\u00f8d\u00e9 \u2713 "
        "\\r\\x1b[36mtrain\\x1b[0m 42%%|\u2588\u2588\u2588\u2588\u258f     | 420/1000 [00:42<00:58]\\n")
BODY = "".join(LINE % k for k in range(480)).encode()
out = sys.stdout.buffer
for block in range({blocks}):
    out.write(b"block %08d\\n" % block + BODY)
"""
BLOCK_BYTES = 15 + 480 * 135  # one block above, encoded


@dataclass(frozen=True)
class Payload:
    """What the flood script writes: its size, hash and first bytes (to find it in a log)."""

    size: int
    sha256: str
    head: bytes

    def found_in(self, log: Path) -> bool:
        """Whether the log holds exactly the payload (pyruns adds [PYRUNS] lines around it)."""
        data = log.read_bytes()
        start = data.find(self.head)
        return (start >= 0 and len(data) - start >= self.size
                and hashlib.sha256(data[start:start + self.size]).hexdigest() == self.sha256)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def flood(ctx: Context) -> Measurement:
    """MB/s from a task writing as fast as it can, through pty -> supervisor -> run log."""
    blocks = max(1, ctx.mode.flood_mb * 2**20 // BLOCK_BYTES)
    root = ctx.ours_workspace("flood-ours", "flood.py", FLOOD_SCRIPT.format(blocks=blocks))
    direct = subprocess.run([sys.executable, str(root / "flood.py")], capture_output=True, check=True).stdout
    payload = Payload(len(direct), hashlib.sha256(direct).hexdigest(), direct[:4096])
    del direct
    megabytes = payload.size / 2**20
    m = Measurement("logs.flood", 4, f"log path: a task floods {megabytes:.0f} MB of coloured "
                    "text, no byte lost", "MB/s", higher_is_better=True,
                    goals=[Goal(">= 120 MB/s", "above", 120)])  # issue 21 item 2
    (name,) = ctx.ours_gen(root, "i: 1\n", "flood")
    run_cmd(ctx.ours.cmd(root, "runner", "start"))
    task_info = root / "_pyruns_" / "flood" / "tasks" / name / "task_info.json"
    walls: list[float] = []

    def ours() -> float:
        begin = time.perf_counter()
        run_cmd(ctx.ours.cmd(root, "run", "--wait", name), timeout=900)
        walls.append(time.perf_counter() - begin)
        last = json.loads(task_info.read_text())["runs"][-1]
        log = task_info.parent / "run_logs" / f"run{last['index']}.log"
        if log.stat().st_size != payload.size or file_digest(log) != payload.sha256:
            raise BenchError(f"{log} ({log.stat().st_size:,} bytes) is not the {payload.size:,} "
                             "bytes the task wrote")
        log.unlink()  # keep the disk footprint at one log
        return megabytes / float(last["duration_s"])

    def pipe() -> float:
        begin = time.perf_counter()
        out = subprocess.run([sys.executable, str(root / "flood.py")], capture_output=True, check=True).stdout
        if hashlib.sha256(out).hexdigest() != payload.sha256:
            raise BenchError("the direct pipe lost bytes")
        return megabytes / (time.perf_counter() - begin)

    peers: dict[str, Callable[[], float] | None] = {"python > pipe (no pty, no runner)": pipe,
                                                     "floor: C pty relay": None, "pyruns": None}
    try:
        ptyfloor = build_ptyfloor(ctx.scratch / "ptyfloor")
    except RuntimeError as exc:
        floor_status = f"not measured: {exc}"
    else:
        floor_log = root / "ptyfloor.log"

        def floor() -> float:
            begin = time.perf_counter()
            run_cmd([str(ptyfloor), str(floor_log), sys.executable, str(root / "flood.py")], timeout=900)
            wall = time.perf_counter() - begin
            if floor_log.stat().st_size != payload.size or file_digest(floor_log) != payload.sha256:
                raise BenchError(f"ptyfloor's log ({floor_log.stat().st_size:,} bytes) is not the "
                                 f"{payload.size:,} bytes the task wrote")
            floor_log.unlink()
            return megabytes / wall

        peers["floor: C pty relay"] = floor
    intact: list[bool] = []
    if ctx.pyruns is not None:
        proot = ctx.pyruns_workspace("flood-pyruns", "flood.py", FLOOD_SCRIPT.format(blocks=blocks))
        (pname,) = ctx.pyruns_add(proot, "flood", "i: 1\n", "flood")
        peers["pyruns"] = lambda: _pyruns_flood(ctx, proot, pname, payload, intact)
    m.ours, m.peers = side_by_side(ours, peers, ctx.mode.repeats, ctx.mode.peer_budget_s)
    if ctx.pyruns is None:
        m.peers["pyruns"].status = ctx.peers.pyruns_status
    if peers["floor: C pty relay"] is None:
        m.peers["floor: C pty relay"].status = floor_status
    stop_our_runner(ctx, root)
    m.extra = {"ours_command_wall_s": walls, "payload_bytes": payload.size, "pyruns_log_intact": intact}
    m.notes.append("ours: size / the run's recorded duration (process start to exit; the task "
                   "blocks while the pty is full, so this is what the runner sustains); every log "
                   "compared byte for byte (size + sha256) with what the task writes to a pipe")
    m.notes.append("floor: benchmarks/ptyfloor.c, the task on a pty set up as the supervisor sets "
                   "it up (raw output, no echo, its own session), every byte copied to a file by "
                   "C read/write: the pty's own limit on this machine; wall time of the whole "
                   "process, log checked as ours")
    if intact:
        m.notes.append("pyruns: size / its recorded duration; its log holds the output between "
                       "[PYRUNS] header and footer lines: "
                       + ("found intact in every sample" if all(intact) else
                          f"NOT intact in {intact.count(False)} of {len(intact)} samples"))
    return m


def _pyruns_flood(ctx: Context, root: Path, name: str, payload: Payload, intact: list[bool]) -> float:
    assert ctx.pyruns is not None
    begin = time.perf_counter()
    run_cmd(ctx.pyruns.cmd(root, "flood", "run", name), timeout=900)
    wall = time.perf_counter() - begin
    shown = json.loads(run_cmd(ctx.pyruns.cmd(root, "flood", "show", "--json", name)))
    log = Path(shown["latest_log"])
    intact.append(payload.found_in(log))
    log.unlink()
    duration = (shown.get("durations") or [None])[-1]
    return payload.size / 2**20 / (float(duration) if duration else wall)


def monitor_follow(ctx: Context) -> list[Measurement]:
    """bench_monitor's flood: the real app on a pty follows a task printing coloured lines."""
    lines = 10_000 if ctx.mode.quick else 100_000
    sys.path.insert(0, str(BENCH_DIR))
    try:
        import bench_monitor  # the Monitor room's benchmark; only its functions are used here
    except Exception as exc:  # noqa: BLE001 - a half-written sibling script must not stop the run
        raise BenchError(f"cannot import benchmarks/bench_monitor.py: {exc}") from exc
    rate = Measurement("logs.monitor_rate", 4, f"Monitor following a task printing {lines:,} "
                       "coloured lines: lines rendered per second", "lines/s", higher_is_better=True,
                       goals=[Goal(">= 200,000 lines/s", "above", 200_000)])  # issue 21 item 3
    stall = Measurement("logs.monitor_stall", 4, "worst UI stall while following that flood", "ms",
                        goals=[Goal("no stall > 50 ms (every sample)", "all_below", 50)])  # issue 21 item 3
    raw: list[dict] = []
    for _ in range(ctx.mode.repeats):
        work = ctx.fresh_dir("monitor-flood")
        result = bench_monitor.flood(lines, work)
        shutil.rmtree(work, ignore_errors=True)
        raw.append(result)
        rate.ours.values.append(lines / float(result["caught_up_s"]))
        stall.ours.values.append(float(result["max_gap_ms"]))
    for m in (rate, stall):
        m.extra["bench_monitor_flood"] = raw
        m.peers = {}
    rate.notes.append("bench_monitor.py: lines / seconds from the writer's start until the view "
                      "shows the last line (the writer itself is part of it), that moment taken by "
                      "the app as the poll that brought the line in ends; CPU, RSS and terminal "
                      "bytes per sample in results.json")
    stall.notes.append("largest gap between ticks of a 10 ms timer inside the app while it follows")
    return [rate, stall]
