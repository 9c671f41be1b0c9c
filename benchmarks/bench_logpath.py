"""The log path against its floor: a task floods coloured text through a pty, relayed to a file
by bare Python relays, by C relays (ptyfloor.c) and by the supervisor (runner/supervisor.py), samples interleaved.

Run: .venv/bin/python benchmarks/bench_logpath.py [--mb 200] [--repeats 5]
     [--supervisor OLD_SUPERVISOR.py ...]  (another supervisor.py to compare, e.g. from main)
Prints each relay's median MB/s (wall time from fork to the task's end) and MB per CPU-second
of the relay process itself (the task's CPU excluded: the figure a loaded machine disturbs
least), each as a ratio to the best bare relay, and the supervisors' ratio to the bare relay
whose task owns its terminal as under the supervisor (its new session costs 10-20 % here:
with the kernel's autogroup scheduling on, a session is a scheduling group of its own); every
log is checked byte for byte (size + sha256). Not a test.
`splice` is not offered: on this kernel (6.18) a pty -> pipe splice stops being reported
readable by poll after ~2 MB.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib.util
import json
import os
import resource
import select
import statistics
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TASK = r'''
import sys
LINE = ("\x1b[1;32mINFO\x1b[0m step %08d loss=0.123456 acc=98.7%% \u00fcn\u00efc\u00f8d\u00e9 \u2713 "
        "\r\x1b[36mtrain\x1b[0m 42%%|\u2588\u2588\u2588\u2588\u258f     | 420/1000 [00:42<00:58]\n")
BODY = "".join(LINE % k for k in range(480)).encode()
out = sys.stdout.buffer
for block in range(int(sys.argv[1])):
    out.write(b"block %08d\n" % block + BODY)
'''
BLOCK_BYTES = 15 + 480 * 135


def raw_pty() -> tuple[int, int]:
    """A pty set up like the supervisor's (no output processing, no echo)."""
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~(termios.OPOST | termios.ONLCR)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    return master, slave


def bare(drain: Callable[[int, int], None], own_terminal: bool = False) -> Callable[[list[str], str], None]:
    """A relay: fork the task on a pty, `drain(master, log_fd)` until the pty closes.
    `own_terminal`: the task leads a new session whose controlling terminal is the pty, as
    under the supervisor (what /dev/tty, job control and the terminal's end need)."""
    def relay(argv: list[str], log: str) -> None:
        master, slave = raw_pty()
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        pid = os.fork()
        if pid == 0:
            os.close(master)
            if own_terminal:
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            os.dup2(slave, 1)
            os.execv(argv[0], argv)
        os.close(slave)
        try:
            drain(master, out)
        finally:
            os.waitpid(pid, 0)
            os.close(out)
            os.close(master)
    return relay


def read_write(master: int, out: int) -> None:
    """os.read with a 64 KiB buffer, one os.write per read (blocking)."""
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:
            return
        if not data:
            return
        os.write(out, data)


def gather_write(master: int, out: int) -> None:
    """poll, then readv into one reused 256 KiB buffer until EAGAIN, one os.write per batch."""
    os.set_blocking(master, False)
    poller = select.poll()
    poller.register(master, select.POLLIN)
    view = memoryview(bytearray(1 << 18))
    while True:
        poller.poll()
        filled = 0
        while filled < len(view) - 4096:
            try:
                got = os.readv(master, [view[filled:]])
            except BlockingIOError:
                break
            except OSError:
                got = 0
            if not got:
                if filled:
                    os.write(out, view[:filled])
                return
            filled += got
        os.write(out, view[:filled])


def c_relay(binary: Path, own_terminal: bool) -> Callable[[list[str], str], None]:
    """benchmarks/ptyfloor.c: the same pty, drained by C (its CPU is not counted: "-")."""
    def relay(argv: list[str], log: str) -> None:
        subprocess.run([str(binary), *([] if own_terminal else ["-S"]), log, *argv], check=True)
    return relay


def supervisor(path: Path) -> Callable[[list[str], str], None]:
    spec_ = importlib.util.spec_from_file_location(f"supervisor_{abs(hash(path))}", path)
    assert spec_ is not None and spec_.loader is not None
    module = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(module)

    def relay(argv: list[str], log: str) -> None:
        if os.getsid(0) != os.getpid():
            os.setsid()  # as the runner's supervisors (`detach`): they lead a session of their own
        state = log + ".state"
        module.supervise(state, {"argv": argv, "cwd": os.getcwd(), "log": log}, -1)
        error = json.loads(Path(state).read_text()).get("error")
        if error:
            raise SystemExit(f"supervisor {path}: {error}")
    return relay


def in_child(relay: Callable[[list[str], str], None], argv: list[str], log: str) -> float:
    """Run `relay` in a forked process; its own CPU seconds (user + system, the task excluded)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        code = 0
        try:
            relay(argv, log)
        except BaseException as exc:  # noqa: BLE001 - reported by the parent
            sys.stderr.write(f"{exc}\n")
            code = 1
        usage = resource.getrusage(resource.RUSAGE_SELF)
        os.write(write_end, f"{usage.ru_utime + usage.ru_stime}".encode())
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as stream:
        cpu = stream.read()
    _, status = os.waitpid(pid, 0)
    if status:
        raise SystemExit("a relay failed")
    return float(cpu)


def c_relays() -> dict[str, Callable[[list[str], str], None]]:
    """The C relays (ptyfloor.c) in both sessions, or none (said) without a C compiler."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ptyfloor import build

    try:
        binary = build(REPO / "benchmarks" / "_work" / "ptyfloor")
    except RuntimeError as exc:
        print(f"C relays not measured: {exc}", file=sys.stderr)
        return {}
    return {C_SAME: c_relay(binary, own_terminal=False), C_OWN: c_relay(binary, own_terminal=True)}


C_SAME = "C floor: read 64 KiB -> write"
C_OWN = "C floor: read -> write, task owns the pty"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--supervisor", action="append", default=[], type=Path)
    args = parser.parse_args()
    blocks = max(1, args.mb * 2**20 // BLOCK_BYTES)
    argv = [sys.executable, "-c", TASK, str(blocks)]
    expected = subprocess.run(argv, capture_output=True, check=True).stdout
    size, digest = len(expected), hashlib.sha256(expected).hexdigest()
    del expected
    relays: dict[str, Callable[[list[str], str], None]] = {
        "bare: read 64 KiB -> write": bare(read_write),
        "bare: poll + readv batch -> write": bare(gather_write),
        "bare: read -> write, task owns the pty": bare(read_write, own_terminal=True),
        **c_relays(),
        "supervisor (this tree)": supervisor(REPO / "src" / "pyruns_tui" / "runner" / "daemon" / "supervisor.py"),
    }
    for path in args.supervisor:
        relays[f"supervisor {path}"] = supervisor(path.resolve())
    rates: dict[str, list[float]] = {name: [] for name in relays}
    cpus: dict[str, list[float]] = {name: [] for name in relays}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "run_logs").mkdir()
        for _ in range(args.repeats):
            for name, relay in relays.items():
                log = os.path.join(tmp, "run_logs", "run1.log")
                begin = time.perf_counter()
                cpu = in_child(relay, argv, log)
                wall = time.perf_counter() - begin
                data = Path(log).read_bytes()
                if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
                    raise SystemExit(f"{name}: the log ({len(data):,} bytes) is not the {size:,} bytes written")
                for leftover in Path(tmp, "run_logs").iterdir():
                    leftover.unlink()
                rates[name].append(size / 2**20 / wall)
                cpus[name].append(size / 2**20 / cpu)
    print(f"{size / 2**20:.0f} MB flood through a pty, {args.repeats} interleaved samples, "
          f"{os.cpu_count()} CPUs, load average {load_before[0]:.1f} before / {os.getloadavg()[0]:.1f} after; "
          "every log identical (sha256)")
    floor = max(statistics.median(v) for name, v in rates.items() if name.startswith("bare"))
    c_floor = max((statistics.median(v) for name, v in rates.items() if name.startswith("C floor")), default=None)
    cpu_floor = max(statistics.median(v) for name, v in cpus.items() if name.startswith("bare"))
    print(f"  {'relay':44} {'wall MB/s (range)':>24} {'vs bare':>8} {'MB per relay CPU-s':>19} {'vs bare':>8}")
    for name, values in rates.items():
        median, per_cpu = statistics.median(values), statistics.median(cpus[name])
        cpu_cells = (f"{'-':>19} {'-':>8}" if name.startswith("C floor")
                     else f"{per_cpu:19.1f} {per_cpu / cpu_floor:7.2f}x")
        print(f"  {name:44} {median:7.1f} ({min(values):5.1f}-{max(values):5.1f}) {median / floor:7.2f}x "
              + cpu_cells)
    same = statistics.median(rates["bare: read -> write, task owns the pty"])
    for name, values in rates.items():
        if name.startswith("supervisor"):
            print(f"  {name}: {statistics.median(values) / same:.2f}x the bare relay whose task owns the pty"
                  + (f", {statistics.median(values) / c_floor:.2f}x the best C relay" if c_floor else ""))


if __name__ == "__main__":
    main()
