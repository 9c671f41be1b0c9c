"""Shared tools of the reliability suite: isolated projects, tree snapshots, the real CLI.

Every scenario works on a project inside its own tmp dir, with HOME pointing into that tmp
dir too, so "nothing was written outside the workspace" can be checked by snapshotting the
whole tmp tree before and after.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.waiting import wait_until as wait_until  # re-exported: the reliability tests import it from here

REPO = Path(__file__).resolve().parents[2]

ARGPARSE_SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1, help="learning rate")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--opt", choices=["adam", "sgd"], default="adam")
p.add_argument("--tag", default="x")
args = p.parse_args()
print(vars(args))
"""

# files that any reader may (re)write as a side effect: caches and lock files
VOLATILE_NAMES = frozenset({".scan_cache.json", ".scan_cache.rest.jsonl", ".settings_cache.json", ".lock"})

Snapshot = dict[str, tuple[str, int, int, int]]  # relpath -> (kind, size, mtime_ns, mode)


def snapshot(root: Path, *, ignore: Iterable[str] = VOLATILE_NAMES) -> Snapshot:
    """Every entry under `root` (symlinks not followed) with its kind, size, mtime and mode."""
    ignored = set(ignore)
    out: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            if name in ignored:
                continue
            st = os.lstat(path)
            kind = "l" if os.path.islink(path) else ("d" if os.path.isdir(path) else "f")
            size = 0 if kind == "d" else st.st_size
            mtime = 0 if kind == "d" else st.st_mtime_ns
            out[os.path.relpath(path, root)] = (kind, size, mtime, st.st_mode & 0o7777)
    return out


def changed_paths(before: Snapshot, after: Snapshot) -> set[str]:
    """Paths added, removed or modified between two snapshots."""
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def outside(paths: Iterable[str], allowed_prefix: str) -> list[str]:
    """The paths not under `allowed_prefix` (a relative folder such as `proj/_pyruns_`)."""
    prefix = allowed_prefix.rstrip("/") + "/"
    return sorted(p for p in paths if p != allowed_prefix and not p.startswith(prefix))


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def cli_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI under test: our package, a private HOME, no pyruns task vars."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYRUNS_", "__PYRUNS"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_DATA_HOME=str(home / ".local" / "share"), PYTHONDONTWRITEBYTECODE="1")
    env.pop("COLUMNS", None)
    env.update(extra or {})
    return env


def pyr(cwd: Path, *args: str, home: Path | None = None, stdin: str | bytes | None = None,
        env: dict[str, str] | None = None, timeout: float = 60, binary: bool = False) -> CliResult:
    """Run `python -m pyruns_tui ARGS` in `cwd` as a real process (HOME isolated)."""
    home = home or cwd.parent / "home"
    home.mkdir(exist_ok=True)
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run(
        [sys.executable, "-m", "pyruns_tui", *args],
        cwd=cwd, input=data, capture_output=True, env=cli_env(home, env), timeout=timeout,
    )
    out = proc.stdout.decode("utf-8", "replace") if not binary else proc.stdout.decode("latin-1")
    return CliResult(proc.returncode, out, proc.stderr.decode("utf-8", "replace"))


def make_project(root: Path, *, tasks: int = 2, script: str = ARGPARSE_SCRIPT) -> Path:
    """`root/proj` with train.py, its workspace `train`, and `tasks` pending tasks t_i-of-N."""
    from pyruns_tui.cli import main

    proj = root / "proj"
    proj.mkdir(parents=True)
    (proj / "train.py").write_text(script)
    assert main(["-C", str(proj), "init", "train.py"]) == 0
    if tasks:
        values = " | ".join(str(i) for i in range(tasks))
        spec = proj.parent / "seed_spec.yaml"
        spec.write_text(f"seed: {values}\n" if tasks > 1 else "seed: 0\n")
        assert main(["-C", str(proj), "gen", str(spec), "-n", "t"]) == 0
        spec.unlink()
    return proj


def clone_project(template: Path, root: Path) -> Path:
    """A copy of a template project (made once per session) under `root/proj`."""
    dest = root / "proj"
    shutil.copytree(template, dest, symlinks=True)
    return dest


def workspace(proj: Path, name: str = "train") -> Path:
    return proj / "_pyruns_" / name


def task_dir(proj: Path, task: str, ws: str = "train") -> Path:
    return workspace(proj, ws) / "tasks" / task


def read_info(proj: Path, task: str, ws: str = "train") -> dict[str, Any]:
    return json.loads((task_dir(proj, task, ws) / "task_info.json").read_text())


def write_info(proj: Path, task: str, data: dict[str, Any], ws: str = "train") -> None:
    (task_dir(proj, task, ws) / "task_info.json").write_text(json.dumps(data, indent=2))


def fake_finished_run(proj: Path, task: str, log: bytes, *, ws: str = "train") -> Path:
    """Make `task` look completed with one run whose log holds `log` (the disk is the truth)."""
    info = read_info(proj, task, ws)
    info["status"] = "completed"
    info["runs"] = [{"index": 1, "status": "completed", "exit_code": 0, "log": "run_logs/run1.log",
                     "start": info["created_at"], "finish": info["created_at"], "duration_s": 0.1}]
    write_info(proj, task, info, ws)
    path = task_dir(proj, task, ws) / "run_logs" / "run1.log"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(log)
    return path


def assert_clean_error(result: CliResult, code: int) -> None:
    """Exit `code`, no traceback, and (for failures) exactly one non-empty error line."""
    assert result.code == code, (result.code, result.out[-2000:], result.err[-2000:])
    assert "Traceback" not in result.err, result.err[-4000:]
    if code != 0:
        lines = [line for line in result.err.splitlines() if line.strip()]
        assert len(lines) == 1, result.err[-4000:]
        assert lines[0].startswith("pyr-tui"), lines[0]
        assert len(lines[0]) <= 3000, f"an error line of {len(lines[0]):,} characters: {lines[0][:300]}"


def printing_program(name: str, delay: float, lines: int) -> str:
    """A task's Python: `lines` numbered lines, `delay` seconds apart, then `NAME END`."""
    return (f"import time\nfor k in range({lines}):\n"
            f"    print('{name} %03d ' % k + 'x' * 60, flush=True)\n    time.sleep({delay})\n"
            f"print('{name} END', flush=True)\n")


def printing_log(name: str, lines: int) -> bytes:
    """The whole log of `printing_program(name, _, lines)`."""
    return "".join(f"{name} {k:03d} " + "x" * 60 + "\n" for k in range(lines)).encode() + f"{name} END\n".encode()


@contextlib.contextmanager
def small_disk(disk: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted on the new folder `disk` (skips without root), unmounted after."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def flood_then_wait(fifo: Path) -> str:
    """A task that fills its disk (the file `fill` in its folder), prints 200 kB, which its log
    cannot take, then waits for the test to open the FIFO `fifo` (`open_gate`), and exits 0."""
    os.mkfifo(fifo)
    return (
        "chunk = b'x' * 65536\n"
        "with open('fill', 'wb', buffering=0) as fh:\n"
        "    try:\n"
        "        while True:\n"
        "            fh.write(chunk)\n"
        "    except OSError:\n"
        "        pass\n"
        "for i in range(400):\n"
        "    print('%04d ' % i + 'z' * 500, flush=True)\n"
        f"open({str(fifo)!r}).read()\n"
        "print('DONE')\n"
    )


def open_gate(fifo: Path) -> None:
    """Let a `flood_then_wait` task go on (it must be waiting: a FIFO nobody reads refuses)."""
    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
