"""The per-room benchmark scripts (bench_*.py), run as their owners run them; their output kept verbatim.

bench_manager.py and bench_monitor.py are not run whole: figures 2 and 4 call their functions.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

from suite.harness import bench_env
from suite.peers import BENCH_DIR, REPO


@dataclass(frozen=True)
class Room:
    """One bench_*.py script and the arguments the full run gives it."""

    key: str
    script: str
    args: tuple[str, ...]
    what: str
    note: str = ""


ROOMS = (
    Room("api", "bench_api.py", (), "script-side API: import cost, pr.log(), metrics reader"),
    Room("params", "bench_params.py", (), "grid parse/count/expand and YAML I/O"),
    Room("terminal", "bench_terminal.py", (), "terminal model (ANSI, \\r, cursor moves) throughput"),
    Room("scheduler", "bench_scheduler.py", (), "runner throughput, scheduling latency, 200 MB flood",
         "in this script's tables \"pyruns\" means our runner (pyruns-tui), not the PyPI pyruns"),
    Room("generator", "bench_generator.py", (), "Generator form open, 10,000-task preview latency"),
    Room("logpath", "bench_logpath.py", (), "200 MB pty flood: bare Python relays vs the supervisor"),
)


@dataclass
class RoomOutput:
    """What one script printed, how long it took, and whether it succeeded."""

    room: Room
    seconds: float
    returncode: int | None
    output: str

    def to_json(self) -> dict[str, object]:
        return {"script": f"benchmarks/{self.room.script}", "args": list(self.room.args),
                "what": self.room.what, "note": self.room.note, "seconds": round(self.seconds, 1),
                "returncode": self.returncode, "output": self.output}


def present_rooms() -> list[Room]:
    """The rooms whose script exists in this checkout."""
    return [room for room in ROOMS if (BENCH_DIR / room.script).exists()]


def run_room(room: Room, timeout_s: float = 900) -> RoomOutput:
    """Run one script with the benchmark's Python from the repository root."""
    script = BENCH_DIR / room.script
    if not script.exists():
        return RoomOutput(room, 0.0, None, f"({script.relative_to(REPO)} does not exist)")
    begin = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(script), *room.args], cwd=REPO, env=bench_env(),
                              capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return RoomOutput(room, time.perf_counter() - begin, None,
                          out + f"\n(stopped after {timeout_s:.0f} s)")
    output = done.stdout
    if done.returncode != 0:
        output += "\n" + "\n".join(done.stderr.strip().splitlines()[-5:])
    return RoomOutput(room, time.perf_counter() - begin, done.returncode, output.rstrip())
