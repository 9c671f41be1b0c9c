"""The C floor of a pty per task (ptyfloor.c), built once per folder with the machine's C
compiler: bench_batch.py, bench_logpath.py and run.py's figures 3 and 4 time it next to ours."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "ptyfloor.c"


def build(folder: Path) -> Path:
    """`folder/ptyfloor`, compiled from ptyfloor.c unless it is there and newer; RuntimeError
    (why, in one line) when there is no C compiler or it fails."""
    binary = folder / "ptyfloor"
    if binary.exists() and binary.stat().st_mtime_ns >= SOURCE.stat().st_mtime_ns:
        return binary
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise RuntimeError("no C compiler (cc) to build benchmarks/ptyfloor.c: apt-get install gcc")
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([compiler, "-O2", "-o", str(binary), str(SOURCE), "-lutil"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        raise RuntimeError(f"{compiler} could not build benchmarks/ptyfloor.c: {lines[0]}")
    return binary
