"""Security guarantees: no value reaches a shell, paths stay inside the workspace, secrets are
redacted and owner-only, and nothing listens on the network."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import stat
import uuid
from pathlib import Path

import psutil
import pytest

from pyruns_tui.params.grid import escape_literal
from pyruns_tui.runner import client, control
from pyruns_tui.workspace.generate import plan_tasks
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import NewTask
from tests.reliability.harness import (
    assert_clean_error,
    changed_paths,
    make_project,
    pyr,
    snapshot,
    task_dir,
    workspace,
)
from tests.runner.harness import Project, py, until

ECHO_ARGS_SCRIPT = """\
import argparse, json
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--opt", choices=["adam", "sgd"], default="adam")
p.add_argument("--tag", default="x")
print("ARGS=" + json.dumps(vars(p.parse_args())))
"""


def hostile_values(marker: str) -> list[str]:
    """Strings that would run `touch marker` (or change another flag) if they reached a shell."""
    return [
        f"; touch {marker}",
        f"$(touch {marker})",
        f"`touch {marker}`",
        f"| touch {marker}",
        f"&& touch {marker} #",
        f"'; touch {marker}; echo '",
        f"\"; touch {marker}; echo \"",
        f"\n touch {marker}",
        "--seed=666",
        "-h",
        "$HOME ${PATH} %s \\ * ?",
    ]


@pytest.fixture
def marker() -> str:
    path = f"/tmp/pwned_{uuid.uuid4().hex}"
    yield path
    if os.path.exists(path):
        os.unlink(path)


def _args_of(project: Project, name: str) -> dict:
    line = next(x for x in project.log(name).decode().splitlines() if x.startswith("ARGS="))
    return json.loads(line[len("ARGS="):])


def test_argparse_values_stay_literal_argv_items(argparse_project: Project, marker: str) -> None:
    project = argparse_project
    (project.dir / "train.py").write_text(ECHO_ARGS_SCRIPT)
    values = hostile_values(marker)
    new = [NewTask(f"v{i}", {"lr": 0.1, "seed": 0, "opt": "adam", "tag": v}) for i, v in enumerate(values)]
    names = [t.name for t in project.store.create_tasks(new, task_kind="argparse",
                                                      script=str(project.dir / "train.py"))]
    control.queue(project.store, names)
    done = project.wait(*names)
    for name, value in zip(names, values):
        assert done[name].status is Status.COMPLETED, (name, done[name].reason, project.log(name))
        args = _args_of(project, name)
        assert args["tag"] == value and args["seed"] == 0, (value, args)
    assert not os.path.exists(marker), "a config value reached a shell"


def test_shell_workspace_values_are_shell_quoted(project: Project, marker: str) -> None:
    values = hostile_values(marker)
    template = py("import sys; print('ARGV=' + repr(sys.argv[1:]))") + " {v}"
    planned = []
    for i, value in enumerate(values):
        plan = plan_tasks({"command": template, "params": {"v": escape_literal(value)}}, prefix=f"q{i}", shell=True)
        (task,) = plan.tasks
        assert shlex.split(task.command or "")[-1] == value  # the filled command parses back to the value
        planned.append(task)
    names = [t.name for t in project.store.create_tasks(planned, task_kind="shell", script=None)]
    control.queue(project.store, names)
    done = project.wait(*names)
    for name, value in zip(names, values):
        assert done[name].status is Status.COMPLETED, (name, done[name].reason)
        line = next(x for x in project.log(name).decode().splitlines() if x.startswith("ARGV="))
        assert line == "ARGV=" + repr([value])
    assert not os.path.exists(marker), "a shell workspace value was not quoted"


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    """A project with tasks t_1-of-2, t_2-of-2 and a folder `outside/` next to it."""
    project = make_project(tmp_path)
    (tmp_path / "home").mkdir()
    outside = tmp_path / "outside"
    (outside / "evil").mkdir(parents=True)
    (outside / "evil" / "task_info.json").write_text(json.dumps({"name": "evil", "status": "pending", "runs": []}))
    (outside / "evil" / "config.yaml").write_text("seed: 1\n")
    (outside / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (outside / "task.json").write_text(json.dumps({"name": "t_1-of-2", "status": "pending", "notes": "outside"}))
    return project


def _outside_unchanged(tmp_path: Path, before: dict) -> None:
    after = snapshot(tmp_path / "outside")
    assert changed_paths(before, after) == set(), "a file outside the workspace was touched"
    assert (tmp_path / "outside" / "passwd").read_text().startswith("root:x:0:0")


def test_a_task_folder_that_is_a_symlink_is_never_followed(proj: Path, tmp_path: Path) -> None:
    (workspace(proj) / "tasks" / "evil").symlink_to(tmp_path / "outside" / "evil")
    before = snapshot(tmp_path / "outside")
    listed = pyr(proj, "ls", "--json")
    assert_clean_error(listed, 0)
    assert "evil" not in [t["name"] for t in listed.json()]
    for args in (("note", "evil", "x"), ("pin", "evil"), ("show", "evil"), ("rm", "evil"), ("run", "evil")):
        result = pyr(proj, *args)
        assert_clean_error(result, 1)
        assert "no task named 'evil'" in result.err
    _outside_unchanged(tmp_path, before)


def test_a_task_info_symlinked_outside_is_never_written_through(proj: Path, tmp_path: Path) -> None:
    info = task_dir(proj, "t_1-of-2") / "task_info.json"
    info.unlink()
    info.symlink_to(tmp_path / "outside" / "passwd")
    before = snapshot(tmp_path / "outside")
    listed = {t["name"]: t for t in pyr(proj, "ls", "--json").json()}
    assert listed["t_1-of-2"]["reason"].startswith("broken: task_info.json is unreadable")
    assert_clean_error(pyr(proj, "note", "t_1-of-2", "x"), 1)
    assert_clean_error(pyr(proj, "rm", "t_1-of-2"), 0)  # the folder (with the link) goes to the trash
    _outside_unchanged(tmp_path, before)

    other = task_dir(proj, "t_2-of-2") / "task_info.json"
    other.unlink()
    other.symlink_to(tmp_path / "outside" / "task.json")  # a readable task record outside: not followed
    assert_clean_error(pyr(proj, "note", "t_2-of-2", "mine"), 1)
    assert other.is_symlink()
    _outside_unchanged(tmp_path, before)


def test_trash_symlinks_and_hostile_names_are_refused(proj: Path, tmp_path: Path) -> None:
    trash = workspace(proj) / "tasks" / ".trash"
    trash.mkdir()
    (trash / "evil").symlink_to(tmp_path / "outside" / "evil")
    before = snapshot(tmp_path / "outside")
    assert "evil" not in [t["name"] for t in pyr(proj, "ls", "--trash", "--json").json()]
    for name in ("evil", "..", "../..", "../../../../outside/evil", ".", ""):
        result = pyr(proj, "restore", name)
        assert_clean_error(result, 1)
    _outside_unchanged(tmp_path, before)

    # a trashed record that claims a name with `..` is restored under its own folder name
    assert_clean_error(pyr(proj, "rm", "t_1-of-2"), 0)
    record = trash / "t_1-of-2" / "task_info.json"
    data = json.loads(record.read_text())
    data["name"] = "../../../../outside/restored"
    record.write_text(json.dumps(data))
    assert_clean_error(pyr(proj, "restore", "t_1-of-2"), 0)
    assert (workspace(proj) / "tasks" / "t_1-of-2").is_dir()
    assert not (tmp_path / "outside" / "restored").exists()
    _outside_unchanged(tmp_path, before)


def test_a_trash_folder_that_is_a_symlink_is_refused(proj: Path, tmp_path: Path) -> None:
    (workspace(proj) / "tasks" / ".trash").symlink_to(tmp_path / "outside")
    before = snapshot(tmp_path / "outside")
    result = pyr(proj, "rm", "t_1-of-2")
    assert_clean_error(result, 1)
    assert "symlink" in result.err
    assert (workspace(proj) / "tasks" / "t_1-of-2" / "task_info.json").is_file()
    _outside_unchanged(tmp_path, before)


@pytest.mark.parametrize("linked", ["tasks", "tasks/.trash"])
def test_a_tasks_folder_that_is_a_symlink_is_refused_by_every_command(proj: Path, tmp_path: Path, linked: str) -> None:
    """As a symlinked workspace folder is: gen, the runner, rm and the rest wrote outside through it."""
    folder = workspace(proj) / linked
    if linked == "tasks":
        folder.rename(tmp_path / "outside" / "tasks")  # the user's tasks, now outside
    folder.symlink_to(os.path.relpath(tmp_path / "outside" / Path(linked).name, folder.parent))
    (proj / "spec.yaml").write_text("seed: 5\n")
    before = snapshot(tmp_path / "outside")
    for args in (("gen", "spec.yaml", "-n", "x"), ("gen", "spec.yaml", "-n", "y", "--run"),
                 ("run", "t_1-of-2", "--wait"), ("rm", "t_1-of-2"), ("restore", "t_1-of-2"), ("ls",),
                 ("ls", "--trash"), ("show", "t_1-of-2"), ("note", "t_1-of-2", "x"), ("runner", "status"),
                 ("init", "train.py"), ()):  # (): opening the TUI
        result = pyr(proj, *args)
        assert_clean_error(result, 1)
        assert f"{Path(linked).name} is a symlink, not a folder; remove it" in result.err, (args, result.err)
    _outside_unchanged(tmp_path, before)
    assert folder.is_symlink()


RUNNER_FOLLOWS_LOG_SYMLINKS = (
    "runner: the supervisor opens run_logs/runN.log with O_APPEND|O_CREAT and follows symlinks, so a "
    "planted run1.log (or run_logs dir) symlink makes it write task output outside the workspace; "
    "fix: open with O_NOFOLLOW and refuse a symlinked run_logs (or unlink a stale runN.log first)")


@pytest.mark.parametrize("planted", ["log-file", "log-dir"])
def test_run_logs_symlinked_outside_are_not_written_through(project: Project, tmp_path: Path, planted: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "run1.log"
    victim.write_text("# my shell settings\n")
    name = project.add("planted", "print('task output')")
    logs = project.layout.task_dir(name) / "run_logs"
    if planted == "log-file":
        logs.mkdir(exist_ok=True)
        (logs / "run1.log").symlink_to(victim)  # the next run's log leads outside
    else:
        with contextlib.suppress(FileNotFoundError):
            logs.rmdir()
        logs.symlink_to(outside)
    control.queue(project.store, [name])
    project.wait(name)
    assert victim.read_text() == "# my shell settings\n", "the task's output was written outside the workspace"


SECRETS = {
    "MY_API_TOKEN": "tok-5f1d3c0ffee",
    "AWS_SECRET_ACCESS_KEY": "aws-9a8b7c6d5e",
    "DB_PASSWORD": "hunter2-longer",
    "SSH_PRIVATE_KEY": "ssh-key-material-42",
    "GITHUB_Token": "ghp_mixedcase_77",
}
URL_PASSWORD = "urlpass-31337"


def test_env_snapshot_is_redacted_and_owner_only(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DATABASE_URL", f"postgres://me:{URL_PASSWORD}@db.example/prod")
    project.layout.settings_file.write_text(
        project.layout.settings_file.read_text() + "env:\n  SETTINGS_API_KEY: settings-secret-99\n  PLAIN: visible\n")
    code = "import os; print('LEN', len(os.environ['MY_API_TOKEN']), len(os.environ['SETTINGS_API_KEY']))"
    name = project.add("secret", code)
    control.queue(project.store, [name])
    task = project.wait(name)[name]
    assert task.status is Status.COMPLETED
    assert b"LEN 15 18" in project.log(name)  # the task itself got the real values

    env = project.store.run_env(name, task.runs[0])
    for key in [*SECRETS, "SETTINGS_API_KEY"]:
        assert env[key] == "<redacted>", key
    assert env["PLAIN"] == "visible"
    assert URL_PASSWORD not in env["DATABASE_URL"] and "db.example" in env["DATABASE_URL"]

    secrets = [*SECRETS.values(), URL_PASSWORD, "settings-secret-99"]
    for path in project.layout.workspace_dir.rglob("*"):
        if path.is_file() and not path.name.endswith(".log"):
            text = path.read_bytes().decode("utf-8", "replace")
            assert not any(s in text for s in secrets), f"a secret leaked into {path}"
    runner_log = project.runner_paths.log.read_text(errors="replace")
    assert not any(s in runner_log for s in secrets)

    info = project.layout.run_env(name, 1)  # the snapshot is owner-only; task_info.json follows the umask
    assert stat.S_IMODE(info.stat().st_mode) == 0o600
    assert stat.S_IMODE(project.runner_paths.dir.stat().st_mode) == 0o700
    for path in project.runner_paths.dir.rglob("*"):
        if path.is_file() or stat.S_ISFIFO(path.lstat().st_mode):
            assert stat.S_IMODE(path.lstat().st_mode) & 0o077 == 0, f"{path} is readable by others"
    project.cli("ls")  # writes the scan cache, which copies task_info.json contents
    for cache in (project.layout.cache_file, project.layout.cache_file.with_suffix(".rest.jsonl")):
        if cache.exists():
            assert stat.S_IMODE(cache.stat().st_mode) == 0o600

    assert project.cli("rm", name) == 0  # still owner-only in the trash
    trashed = project.layout.trashed_task_dir(name) / "run_logs" / "run1.env.json"
    assert stat.S_IMODE(trashed.stat().st_mode) == 0o600


def _family_name(conn: object) -> str:
    return getattr(getattr(conn, "family", None), "name", str(getattr(conn, "family", "")))


def test_runner_supervisors_and_tasks_do_not_listen(project: Project) -> None:
    code, release = project.gate("net")
    name = project.add("net", code)
    control.queue(project.store, [name])
    until(lambda: project.task(name).status is Status.RUNNING and project.task(name).runs[0].pid, what="the task")
    runner = psutil.Process(project.runner_pid())
    family = [runner, *runner.children(recursive=True)]
    state_files = list(project.runner_paths.runs_dir.glob("*.json"))
    for state in state_files:
        supervisor = json.loads(state.read_text()).get("supervisor_pid")
        if supervisor and psutil.pid_exists(supervisor):
            sup = psutil.Process(supervisor)
            family += [sup, *sup.children(recursive=True)]
    assert len(family) >= 3, family  # runner, supervisor, task
    for proc in family:
        for conn in proc.net_connections(kind="inet"):
            assert conn.status != psutil.CONN_LISTEN, (proc.pid, proc.cmdline(), conn)
        for conn in proc.net_connections(kind="unix"):
            if conn.laddr:
                path = Path(conn.laddr)
                assert path.is_relative_to(project.layout.workspace_dir), (proc.pid, conn)
                assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, (proc.pid, conn)
    release()  # type: ignore[operator]
    assert project.wait(name)[name].status is Status.COMPLETED
    assert client.runner_alive(project.layout)
