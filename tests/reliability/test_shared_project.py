"""A project shared by a group (umask 002): another member sees the first one's runs.

Two unprivileged users of one group (made with `setpriv`, root only) work in one project with
umask 002: A creates and runs a task, B lists it. Workspace files follow the umask; only the
environment snapshot (`run_logs/runN.env.json`) stays owner-only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.harness import cli_env

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                                reason="needs root and setpriv to act as two users")

GROUP = 42420
USERS = {"a": 42421, "b": 42422}


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A group-owned, group-writable folder outside pytest's private tmp tree."""
    base = Path(tempfile.mkdtemp(prefix="pyruns-shared-", dir="/tmp"))
    try:
        os.chown(base, 0, GROUP)
        os.chmod(base, 0o2775)
        for user, uid in USERS.items():
            home = base / f"home-{user}"
            home.mkdir()
            os.chown(home, uid, GROUP)
        yield base
    finally:
        subprocess.run(["pkill", "-KILL", "-U", ",".join(str(u) for u in USERS.values())], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def interpreter() -> tuple[str, str]:
    """A python other users may run (ours can live in root's home) and the path to our packages."""
    import yaml

    import pyruns_tui

    paths = [str(Path(pyruns_tui.__file__).parents[1]), str(Path(yaml.__file__).parents[1])]
    system = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    if not os.access(system, os.X_OK):
        pytest.skip(f"{system} is missing: no interpreter other users can run")
    return system, os.pathsep.join(paths)


def as_user(user: str, base: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    python, path = interpreter()
    # a group-writable workspace is refused unless trusted (planted workspaces): members opt in
    env = cli_env(base / f"home-{user}", {"PYTHONPATH": path, "PYRUNS_TUI_SAFE_DIRECTORIES": str(base / "proj")})
    command = ["setpriv", f"--reuid={USERS[user]}", f"--regid={GROUP}", "--clear-groups", "--",
               "sh", "-c", 'umask 002 && exec "$@"', "sh", python, "-m", "pyruns_tui", *args]
    return subprocess.run(command, cwd=base / "proj", env=env, capture_output=True, text=True, timeout=timeout)


def test_a_group_member_sees_the_other_members_completed_run(shared_dir: Path) -> None:
    proj = shared_dir / "proj"
    proj.mkdir()
    os.chown(proj, USERS["a"], GROUP)
    spec = shared_dir / "spec.yaml"
    spec.write_text("command: echo shared {n}\nparams:\n  n: 1\n")
    os.chmod(spec, 0o644)
    for args in (("init", "--shell"), ("-w", "_shell_", "gen", str(spec), "-n", "t"),
                 ("-w", "_shell_", "run", "t", "--wait")):
        done = as_user("a", shared_dir, *args)
        assert done.returncode == 0, (args, done.stderr)
    listed = as_user("b", shared_dir, "-w", "_shell_", "ls", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    row = rows[0] if isinstance(rows, list) else rows["tasks"][0]
    assert row["status"] == "completed", row
    shown = as_user("b", shared_dir, "-w", "_shell_", "log", "t")
    assert shown.returncode == 0 and shown.stdout == "shared 1\n", shown.stderr
    done = as_user("a", shared_dir, "-w", "_shell_", "gen", str(spec), "-n", "u")
    assert done.returncode == 0, done.stderr
    queued = as_user("b", shared_dir, "-w", "_shell_", "run", "u", "--wait")  # picked up by A's runner
    assert queued.returncode == 0, queued.stderr
    env = proj / "_pyruns_" / "_shell_" / "tasks" / "t" / "run_logs" / "run1.env.json"
    assert env.stat().st_mode & 0o077 == 0, "the environment snapshot must stay owner-only"
    as_user("a", shared_dir, "-w", "_shell_", "runner", "stop")
