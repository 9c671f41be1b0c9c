"""Record what a real program writes to a real pseudo-terminal (like the runner's log files).

`python -m tests.logs.pty_recorder` re-records tests/logs/fixtures/*.bin from the programs in
tests/logs/fixtures/programs/ (the recorded bytes depend on tqdm/rich versions and timing,
so the fixtures are frozen and the live-recording tests only check invariants).
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROGRAMS = FIXTURES / "programs"
COLUMNS = 160
ROWS = 50


def record_pty(argv: list[str], *, columns: int = COLUMNS, rows: int = ROWS,
               timeout: float = 60.0) -> bytes:
    """Run `argv` with stdin/stdout/stderr on a new pty of the given size; return all output."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(columns), LINES=str(rows))
    for key in ("NO_COLOR", "FORCE_COLOR", "TQDM_DISABLE"):
        env.pop(key, None)
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True, close_fds=True)
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the slave side
                break
            if not chunk:
                break
            out += chunk
        else:
            proc.kill()
            raise TimeoutError(f"{argv} did not finish within {timeout}s")
    finally:
        os.close(master)
        proc.wait(timeout=10)
    return bytes(out)


def record_program(name: str) -> bytes:
    """Output of tests/logs/fixtures/programs/<name>.py run under the test pty geometry."""
    return record_pty([sys.executable, str(PROGRAMS / f"{name}.py")])


def program_names() -> list[str]:
    return sorted(p.stem for p in PROGRAMS.glob("*.py"))


if __name__ == "__main__":
    for program in program_names():
        data = record_program(program)
        (FIXTURES / f"{program}.bin").write_bytes(data)
        print(f"{program}.bin: {len(data)} bytes")
