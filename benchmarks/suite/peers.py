"""The tools measured: ours (`pyr-tui`), pyruns (`pyr`, installed into its own venv) and GNU parallel.

`--peers` installs pyruns into benchmarks/_work/peers-venv (never into the project's venv) and
looks for `parallel` on PATH; system packages are never installed here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from suite.harness import BenchError, bench_env, run_cmd

PYRUNS_VERSION = "0.3.17"
BENCH_DIR = Path(__file__).resolve().parents[1]
REPO = BENCH_DIR.parent
WORK = BENCH_DIR / "_work"
PEERS_VENV = WORK / "peers-venv"


class PeerMissing(Exception):
    """A peer asked for with --peers cannot be used; the message says how to get it."""


@dataclass(frozen=True)
class Ours:
    """pyr-tui of the environment running the benchmark."""

    argv: tuple[str, ...]
    python: str

    @classmethod
    def find(cls) -> Ours:
        script = Path(sys.executable).parent / "pyr-tui"
        argv = (str(script),) if script.exists() else (sys.executable, "-m", "pyruns_tui")
        return cls(argv=argv, python=sys.executable)

    def cmd(self, root: Path, *args: str) -> list[str]:
        return [*self.argv, "-C", str(root), *args]

    def version(self) -> str:
        code = "import importlib.metadata as m; print(m.version('pyruns-tui'))"
        return run_cmd([self.python, "-c", code]).strip()


@dataclass(frozen=True)
class Pyruns:
    """The pyruns CLI (`pyr`) installed in the peers venv."""

    pyr: Path
    python: Path
    version: str

    def cmd(self, root: Path, workspace: str | None, *args: str) -> list[str]:
        where = ["-w", workspace] if workspace else []
        return [str(self.pyr), "-C", str(root), *where, *args]


@dataclass(frozen=True)
class Parallel:
    """GNU parallel found on PATH."""

    path: str
    version: str


@dataclass(frozen=True)
class Peers:
    """Which peers this run measures, and for each missing one why."""

    pyruns: Pyruns | None
    parallel: Parallel | None
    pyruns_status: str
    parallel_status: str

    def to_json(self) -> dict[str, object]:
        return {
            "pyruns": {"status": self.pyruns_status,
                       "version": self.pyruns.version if self.pyruns else None,
                       "venv": str(PEERS_VENV) if self.pyruns else None},
            "gnu_parallel": {"status": self.parallel_status,
                             "version": self.parallel.version if self.parallel else None,
                             "path": self.parallel.path if self.parallel else None},
        }


def not_asked() -> Peers:
    """No peer measured; GNU parallel is still looked up so the report can say if it is there."""
    parallel = find_parallel()
    return Peers(None, None, "not asked (run with --peers)",
                 f"not asked (run with --peers); {parallel.version if parallel else 'not installed'}")


def find_parallel() -> Parallel | None:
    """GNU parallel on PATH (not the moreutils `parallel`), or None."""
    path = shutil.which("parallel")
    if path is None:
        return None
    try:
        out = run_cmd([path, "--version"], timeout=30)
    except BenchError:
        return None
    first = out.splitlines()[0] if out else ""
    return Parallel(path=path, version=first) if "GNU parallel" in first else None


def _venv_pyruns_version(python: Path) -> str | None:
    code = "import importlib.metadata as m; print(m.version('pyruns'))"
    try:
        return run_cmd([str(python), "-c", code], timeout=60).strip()
    except BenchError:
        return None


def install_pyruns(log: Callable[[str], None] = print) -> Pyruns:
    """pyruns==PYRUNS_VERSION in PEERS_VENV, created and pip-installed on first use."""
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        log(f"creating {PEERS_VENV.relative_to(REPO)}")
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(PEERS_VENV)], check=True)
    version = _venv_pyruns_version(python)
    if version != PYRUNS_VERSION:
        log(f"pip install pyruns=={PYRUNS_VERSION} into {PEERS_VENV.relative_to(REPO)}")
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                               f"pyruns=={PYRUNS_VERSION}"], capture_output=True, text=True,
                              env=bench_env())
        if done.returncode != 0:
            raise PeerMissing(f"pip install pyruns=={PYRUNS_VERSION} failed: "
                              f"{done.stderr.strip().splitlines()[-1:]}")
        version = _venv_pyruns_version(python)
    pyr = PEERS_VENV / "bin" / "pyr"
    if version is None or not pyr.exists():
        raise PeerMissing(f"pyruns is not usable in {PEERS_VENV}; delete that folder and retry")
    return Pyruns(pyr=pyr, python=python, version=version)


def find_peers(log: Callable[[str], None] = print) -> Peers:
    """Both peers, or PeerMissing naming the one that is missing and how to install it."""
    pyruns = install_pyruns(log)
    parallel = find_parallel()
    if parallel is None:
        raise PeerMissing("GNU parallel is not installed (not on PATH); install it with your "
                          "package manager (e.g. `apt-get install -y parallel`) or run without --peers")
    return Peers(pyruns, parallel, f"pyruns {pyruns.version}", parallel.version)
