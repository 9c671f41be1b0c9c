"""`pyr-tui export -o FILE`: the file's extension names the format; one naming none is refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyruns_tui.cli import main
from tests.cli.helpers import Result, pyr, record_run
from tests.conftest import require_backend
from tests.reliability.harness import cli_env


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
    (tmp_path / "train.yaml").write_text("lr: 0.1\n")
    assert main(["-C", str(tmp_path), "init", "train.py"]) == 0
    assert pyr(tmp_path, "gen", "-", "-n", "only", stdin="lr: 0.1\n").code == 0
    return tmp_path


def test_an_extension_export_does_not_write_is_refused_and_nothing_written(project: Path) -> None:
    # CSV was written into out.xlsx, which a spreadsheet then refused to open
    for name in ("out.xlsx", "out.txt", "runs.csv.gz"):
        refused = pyr(project, "export", "-o", name)
        assert (refused.code, refused.out) == (2, ""), name
        suffix = Path(name).suffix
        assert refused.err == (f"pyr-tui: error: -o {name}: export writes csv, json, md files (.csv, .json, .md, "
                               f".markdown), not {suffix}: name the file with one of these, or give "
                               "-f csv|json|md to write that format into it\n")
        assert not (project / name).exists()


def test_known_extensions_none_and_an_explicit_format_still_write(project: Path) -> None:
    for args, start in ((("-o", "out.CSV"), "name,"), (("-o", "out.markdown"), "| name"), (("-o", "out"), "name,"),
                        (("-o", "out.txt", "-f", "json"), "["), (("-o", "out.tsv", "-f", "csv"), "name,")):
        done = pyr(project, "export", *args)
        assert done.code == 0, (args, done.err)
        assert (project / args[1]).read_text().startswith(start), args


def test_a_path_in_the_pyruns_folder_is_refused_and_nothing_written(project: Path) -> None:
    # `-o _pyruns_/train/tasks/only/task_info.json` replaced the task's record with a report
    record_run(project, "only", "completed", 1_700_000_000.0)
    (project / "_pyruns_" / "train" / "tasks" / "only" / "metrics.jsonl").write_text('{"t": 1700000000.5, "loss": 0.5}\n')
    root = project / "_pyruns_"
    task = root / "train" / "tasks" / "only"
    (project / "into_task").symlink_to(task)  # a link of the user's leading in is no way around it
    files = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    why = (f"it is inside {root}, where pyruns-tui keeps its own files (task records, settings, the runner's "
           "files); write the report outside it")
    for args, target in ((("-o", "_pyruns_/train/tasks/only/task_info.json", "-f", "json"), task / "task_info.json"),
                         (("-o", "_pyruns_/train/tasks/only/config.yaml", "--best", "loss"), task / "config.yaml"),
                         (("-o", "_pyruns_/_pyruns_settings.yaml", "-f", "csv"), root / "_pyruns_settings.yaml"),
                         (("-o", "_pyruns_/train/.runner/new.csv"), root / "train" / ".runner" / "new.csv"),
                         (("-o", str(root / "train" / "x" / ".." / "report.csv")), None),
                         (("-o", "into_task/config.yaml", "-f", "json"), task / "config.yaml")):
        refused = pyr(project, "export", *args)
        assert (refused.code, refused.out) == (1, ""), (args, refused.err)
        given = args[1] if args[1].startswith("/") else f"{project}/{args[1]}"
        leads = f" (it leads to {target})" if args[1].startswith("into_task") else ""
        assert refused.err == f"pyr-tui: error: cannot write {given}{leads}: {why}\n", args
    assert {path: path.read_bytes() for path in root.rglob("*") if path.is_file()} == files
    assert not (root / "train" / ".runner" / "new.csv").exists()
    # outside it, next to it, and a name that only starts like it still write
    for name in ("report.csv", "_pyruns_report.csv", "into_task_report.csv"):
        assert pyr(project, "export", "-o", name).code == 0, name
        assert (project / name).read_text().startswith("name,")


def test_the_tui_export_refuses_a_path_in_the_pyruns_folder_through_the_engine(project: Path) -> None:
    """The Manager's and Monitor's export dialog write through `export_tasks`: the same refusal."""
    from pyruns_tui.errors import ExportError
    from pyruns_tui.metrics.export import export_tasks
    from pyruns_tui.workspace.layout import Layout
    from pyruns_tui.workspace.store import TaskStore

    store = TaskStore(Layout(root=project / "_pyruns_", name="train"))
    info = store.layout.task_info("only")
    before = info.read_bytes()
    with pytest.raises(ExportError, match="is inside .*_pyruns_, where pyruns-tui keeps its own files"):
        export_tasks(store, ["only"], "json", info)
    assert info.read_bytes() == before
    assert export_tasks(store, ["only"], "csv", project / "out.csv") == 1


def _files(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file() and not path.is_symlink()}


def test_a_path_in_another_projects_pyruns_folder_is_refused_and_nothing_written(
        project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    # only the open workspace's `_pyruns_` was refused: `-o ../other/_pyruns_/train/tasks/t/task_info.json`
    # replaced another project's task record with a report
    other = tmp_path_factory.mktemp("other").resolve()
    (other / "train.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
    assert main(["-C", str(other), "init", "train.py"]) == 0
    assert pyr(other, "gen", "-", "-n", "theirs", stdin="lr: 0.2\n").code == 0
    root = other / "_pyruns_"
    task = root / "train" / "tasks" / "theirs"
    # a third project whose `_pyruns_` is a symlink to its real place under another name, `store`
    third = tmp_path_factory.mktemp("third").resolve()
    (third / "train.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
    assert main(["-C", str(third), "init", "train.py"]) == 0
    (third / "_pyruns_").rename(third / "store")
    (third / "_pyruns_").symlink_to(third / "store")
    (project / "to_theirs").symlink_to(task)  # a link of the user's leading in is no way around it
    before = {**_files(root), **_files(third / "store")}
    why = "where pyruns-tui keeps its own files (task records, settings, the runner's files); write the report outside it"
    for args, inside, leads in (
            (("-o", str(task / "task_info.json"), "-f", "json"), root, None),
            (("-o", str(root / "_pyruns_settings.yaml"), "-f", "csv"), root, None),
            (("-o", str(root / "train" / ".runner" / "new.csv")), root, None),
            (("-o", "to_theirs/config.yaml", "-f", "json"), root, task / "config.yaml"),
            (("-o", str(third / "_pyruns_" / "train" / "new.csv")), third / "store", third / "store" / "train" / "new.csv"),
            (("-o", str(third / "store" / "train" / "new.csv")), third / "store", None)):
        refused = pyr(project, "export", *args)
        given = args[1] if args[1].startswith("/") else f"{project}/{args[1]}"
        shown = f" (it leads to {leads})" if leads else ""
        assert (refused.code, refused.out) == (1, ""), (args, refused.err)
        assert refused.err == f"pyr-tui: error: cannot write {given}{shown}: it is inside {inside}, {why}\n", args
    assert {**_files(root), **_files(third / "store")} == before
    assert not (root / "train" / ".runner" / "new.csv").exists() and not (third / "store" / "train" / "new.csv").exists()
    # the other projects' own folders, next to their `_pyruns_`, are anybody's to write a report in
    for target in (other / "report.csv", third / "report.csv"):
        assert pyr(project, "export", "-o", str(target)).code == 0, target
        assert target.read_text().startswith("name,")


@pytest.mark.parametrize("swap_at", [1, 2], ids=["before-the-folder-is-opened", "once-it-is-open"])
def test_a_folder_swapped_for_a_symlink_into_pyruns_after_the_check_writes_nothing_there(
        project: Path, monkeypatch: pytest.MonkeyPatch, swap_at: int) -> None:
    """The check, then the write: `out/` swapped for a symlink to a task's folder in between led
    the report over the task's `task_info.json`. A real race cannot be timed, so the check is
    wrapped (the one patched hook) to swap the folder right after its `swap_at`-th call: the
    path's check (before the folder is opened) or the open folder's (`save_text`)."""
    from pyruns_tui.errors import ExportError
    from pyruns_tui.metrics.export import export_tasks
    from pyruns_tui.workspace.layout import Layout
    from pyruns_tui.workspace.store import TaskStore

    store = TaskStore(Layout(root=project / "_pyruns_", name="train"))
    task = store.layout.task_dir("only")
    out, moved = project / "out", project / "out_moved"
    out.mkdir()
    before = _files(project / "_pyruns_")
    check, calls = Layout.inside_root, []

    def checked_then_swapped(self: Layout, path: str | Path, **how: bool) -> Path | None:
        found = check(self, path, **how)
        calls.append(path)
        if len(calls) == swap_at:
            out.rename(moved)
            out.symlink_to(task)
        return found

    monkeypatch.setattr(Layout, "inside_root", checked_then_swapped)
    if swap_at == 1:  # the folder then opened is the task's: refused there
        with pytest.raises(ExportError, match=f"leads to {task}/task_info.json.*is inside .*_pyruns_, where pyruns"):
            export_tasks(store, ["only"], "csv", out / "task_info.json")
        assert not (moved / "task_info.json").exists()
    else:  # the folder was open: the report lands in it, at its new place
        assert export_tasks(store, ["only"], "csv", out / "task_info.json") == 1
        assert (moved / "task_info.json").read_text().startswith("name,")
    assert len(calls) >= swap_at and out.is_symlink()
    assert _files(project / "_pyruns_") == before


NOBODY = 65534  # `setpriv --reuid`: a user who, unlike root, cannot list a folder of mode 0333


def _as_nobody(python: str, env: dict[str, str], cwd: Path, *args: str) -> Result:
    """`python ARGS` run in `cwd` by nobody (umask 022)."""
    done = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--",
                           "sh", "-c", 'umask 022 && exec "$@"', "sh", python, *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    return Result(done.returncode, done.stdout, done.stderr)


def _nobody_python(home: Path) -> tuple[str, dict[str, str]]:
    """A python `nobody` may run with this tree's package on its path, and its environment: ours
    where they may (CI's venv is readable), else the system's with our packages on PYTHONPATH."""
    import yaml

    import pyruns_tui

    path = os.pathsep.join((str(Path(pyruns_tui.__file__).parents[1]), str(Path(yaml.__file__).parents[1])))
    env = cli_env(home, {"PYTHONPATH": path})
    tried = []
    for python in (sys.executable, f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"):
        runs = _as_nobody(python, env, home.parent, "-c", "import pyruns_tui, yaml")
        if runs.code == 0:
            return python, env
        tried.append(f"{python}: {(runs.err.strip().splitlines() or ['exit ' + str(runs.code)])[-1]}")
    # not a missing backend: the 3.10/3.13 runs of .ci/run have no system python of their version
    pytest.skip(f"no python another user can run ({'; '.join(tried)})")


@pytest.fixture
def nobodys_project() -> Iterator[tuple[Path, Callable[..., Result]]]:
    """A project of `nobody`'s (one completed run with metrics) in a folder anyone may enter (not
    under pytest's 0700 tmp tree), and `as_nobody(*args)`: this tree's python run there by nobody."""
    if os.geteuid() != 0:
        pytest.skip("acting as another user (setpriv) needs root")
    require_backend("setpriv", shutil.which("setpriv") is not None, "setpriv (util-linux) is not installed")
    base = Path(tempfile.mkdtemp(prefix="pyruns-nobody-", dir="/tmp"))
    try:
        base.chmod(0o755)
        project = base / "proj"
        project.mkdir()
        (project / "train.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
        assert main(["-C", str(project), "init", "train.py"]) == 0
        assert pyr(project, "gen", "-", "-n", "only", stdin="lr: 0.1\n").code == 0
        record_run(project, "only", "completed", 1_700_000_000.0)
        (project / "_pyruns_" / "train" / "tasks" / "only" / "metrics.jsonl").write_text(
            '{"t": 1700000000.5, "loss": 0.5}\n{"t": 1700000000.7, "loss": 0.25}\n')
        for folder, _, files in os.walk(base):
            for name in (folder, *(os.path.join(folder, f) for f in files)):
                os.chown(name, NOBODY, NOBODY, follow_symlinks=False)
        python, env = _nobody_python(base / "home")
        yield project, lambda *args: _as_nobody(python, env, project, *args)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_report_is_written_whole_in_a_folder_its_user_may_write_in_but_not_list(
        nobodys_project: tuple[Path, Callable[..., Result]]) -> None:
    """`-o out/report.csv`, `out` of mode 0333: the folder cannot be opened for reading, so it is
    opened O_PATH (report_format._open_folder), and everything after is done relative to that fd."""
    project, as_nobody = nobodys_project
    shown = as_nobody("-m", "pyruns_tui", "export")
    assert (shown.code, shown.err) == (0, ""), shown.err
    assert shown.out.startswith("name,") and "only" in shown.out and "0.25" in shown.out
    out = project / "out"
    out.mkdir(mode=0o333)
    os.chown(out, NOBODY, NOBODY)
    out.chmod(0o333)
    assert as_nobody("-c", f"import os; os.listdir({str(out)!r})").code != 0  # (nobody cannot list it)
    for kept in (None, 0o600):  # a new report (umask 022: 0644), then one replaced keeps its mode
        done = as_nobody("-m", "pyruns_tui", "export", "-o", "out/report.csv")
        assert (done.code, done.out, done.err) == (0, f"wrote 1 row (1 task) to {out}/report.csv\n", ""), done.err
        report = out / "report.csv"
        assert report.read_text() == shown.out
        assert (report.stat().st_uid, report.stat().st_mode & 0o777) == (NOBODY, kept or 0o644)
        assert os.listdir(out) == ["report.csv"]  # no temp file left
        report.chmod(0o600)
    # a symlink at the name (in the open folder: checked through its O_PATH fd) is refused, not followed
    (out / "report.csv").unlink()
    elsewhere = project / "elsewhere.csv"
    elsewhere.write_text("theirs\n")
    (out / "report.csv").symlink_to(elsewhere)
    refused = as_nobody("-m", "pyruns_tui", "export", "-o", "out/report.csv")
    assert (refused.code, refused.out) == (1, "")
    assert refused.err == (f"pyr-tui: error: cannot write {out}/report.csv: it is a symlink; give the path it points "
                           "to (or -o - for stdout)\n")
    assert (out / "report.csv").is_symlink() and elsewhere.read_text() == "theirs\n"


def test_a_folder_of_mode_0333_leading_into_pyruns_is_refused_and_nothing_written(
        nobodys_project: tuple[Path, Callable[..., Result]]) -> None:
    """A symlinked 0333 folder into `_pyruns_`: refused by the path's check (the CLI), and by the
    open folder's when the folder is swapped for that symlink after the path's check (the engine's
    `export_tasks`, its check wrapped as in the race test above): the folder then opened is the
    task's, O_PATH, and `/proc/self/fd` says where it is."""
    project, as_nobody = nobodys_project
    root = project / "_pyruns_"
    task = root / "train" / "tasks" / "only"
    before = _files(root)
    task.chmod(0o333)
    (project / "into_task").symlink_to(task)
    os.chown(project / "into_task", NOBODY, NOBODY, follow_symlinks=False)
    why = (f"it is inside {root}, where pyruns-tui keeps its own files (task records, settings, the runner's "
           "files); write the report outside it")
    refused = as_nobody("-m", "pyruns_tui", "export", "-o", "into_task/task_info.json", "-f", "json")
    assert (refused.code, refused.out) == (1, ""), refused.err
    assert refused.err == (f"pyr-tui: error: cannot write {project}/into_task/task_info.json "
                           f"(it leads to {task}/task_info.json): {why}\n")
    out = project / "out"
    out.mkdir()
    os.chown(out, NOBODY, NOBODY)
    out.chmod(0o333)
    swapped = as_nobody("-c", _SWAP_THEN_EXPORT, str(project), str(task))
    assert (swapped.code, swapped.err) == (0, ""), swapped.err
    assert swapped.out == f"cannot write {out}/task_info.json (it leads to {task}/task_info.json): {why}\n"
    assert out.is_symlink() and os.listdir(project / "out_moved") == []
    task.chmod(0o755)
    assert _files(root) == before


# run by nobody: `out` swapped for a symlink to the task's folder right after the path's check
_SWAP_THEN_EXPORT = """
import sys
from pathlib import Path
from pyruns_tui.errors import ExportError
from pyruns_tui.metrics.export import export_tasks
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore

project, task = Path(sys.argv[1]), Path(sys.argv[2])
out, check = project / "out", Layout.inside_root

def checked_then_swapped(self, path, **how):
    found = check(self, path, **how)
    if not out.is_symlink():
        out.rename(project / "out_moved")
        out.symlink_to(task)
    return found

Layout.inside_root = checked_then_swapped
try:
    export_tasks(TaskStore(Layout(root=project / "_pyruns_", name="train")), ["only"], "csv", out / "task_info.json")
except ExportError as exc:
    print(exc)
"""
