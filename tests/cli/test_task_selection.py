"""Naming many tasks at once: a batch by its prefix, a quoted glob, `wait --all`, `ls --names`.

Before, every command took exact names only: after `gen spec.yaml -n sweep --run` a user had to
type `wait sweep_1-of-20 ... sweep_20-of-20`, and `run sweep` said "no task named 'sweep'"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pyruns_tui.cli import main
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore
from tests.runner.harness import Project, project, until  # noqa: F401 - the fixture

SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--seed", type=int, default=0)
print(vars(p.parse_args()))
"""


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(SCRIPT)
    assert main(["-C", str(tmp_path), "init", "train.py"]) == 0
    return tmp_path


def cli(ws: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(ws), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def gen(ws: Path, capsys: pytest.CaptureFixture[str], text: str, *args: str) -> list[str]:
    (ws / "spec.yaml").write_text(text)
    code, out, err = cli(ws, capsys, "gen", str(ws / "spec.yaml"), *args, "--json")
    assert code == 0, err
    return json.loads(out)["tasks"]


def names(ws: Path, capsys: pytest.CaptureFixture[str], *query: str) -> list[str]:
    code, out, err = cli(ws, capsys, "ls", "--names", *query)
    assert code == 0, err
    return out.splitlines()


def store(ws: Path) -> TaskStore:
    return TaskStore(Layout(root=ws / "_pyruns_", name="train"))


def test_a_batch_prefix_and_a_glob_name_their_tasks_in_the_listing_order(
        ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = gen(ws, capsys, "seed: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11\n", "-n", "sweep")
    again = gen(ws, capsys, "lr: 0.5 | 0.6\n", "-n", "sweep")  # the same prefix again: sweep_1-of-2...
    other = gen(ws, capsys, "lr: 0.7 | 0.8\n", "-n", "sweepy")  # a longer prefix is another batch
    assert again == ["sweep_1-of-2", "sweep_2-of-2"] and first[9] == "sweep_10-of-11"
    assert cli(ws, capsys, "pin", "sweep")[0] == 0
    pinned = [t.name for t in store(ws).scan() if t.pinned]
    assert pinned == first + again  # the natural order: sweep_2-of-11 before sweep_10-of-11
    assert cli(ws, capsys, "pin", "--off", "*")[0] == 0
    assert not any(t.pinned for t in store(ws).scan())
    code, _, err = cli(ws, capsys, "rm", "sweep_1?-of-11", "sweepy")
    assert code == 0, err
    assert names(ws, capsys) == first[:9] + again  # sweep_10/11-of-11 and the sweepy batch trashed
    assert sorted(names(ws, capsys, "--trash")) == sorted([*first[9:], *other])


def test_a_word_naming_nothing_is_one_error_and_nothing_is_done(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    created = gen(ws, capsys, "seed: 1 | 2\n", "-n", "sweep")
    for word, said in (("swee", "no task named 'swee'"), ("x*", "no task matches 'x*'")):
        code, out, err = cli(ws, capsys, "rm", "sweep", word)
        assert code == 1 and out == "" and err.count("\n") == 1 and said in err, (code, out, err)
        assert names(ws, capsys) == created  # the batch named before it was not trashed


def test_a_command_of_one_task_refuses_a_batch_of_several_and_takes_a_glob_of_one(
        ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    created = gen(ws, capsys, "seed: 1 | 2 | 3\n", "-n", "sweep")
    code, _, err = cli(ws, capsys, "show", "sweep")
    assert code == 1 and err.count("\n") == 1, err
    assert "'sweep' names 3 tasks (sweep_1-of-3 ... sweep_3-of-3); this command takes one task name" in err
    code, out, err = cli(ws, capsys, "show", "*_2-of-3", "--json")
    assert code == 0 and json.loads(out)["name"] == created[1], err
    assert cli(ws, capsys, "note", "sweep_3*", "the last")[0] == 0
    assert store(ws).get(created[2]).notes == "the last"
    code, out, err = cli(ws, capsys, "compare", "*_1-of-3", "*_3-of-3")
    assert code == 0 and "seed" in out, err


def test_an_exact_name_wins_over_a_batch_and_a_glob(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = gen(ws, capsys, "seed: 1 | 2\n", "-n", "a")
    solo = gen(ws, capsys, "seed: 3\n", "-n", "a")  # a single task is named just `a`
    star = gen(ws, capsys, "seed: 4\n", "-n", "b*")  # names may hold glob characters
    assert solo == ["a"] and star == ["b*"] and batch == ["a_1-of-2", "a_2-of-2"]
    assert cli(ws, capsys, "pin", "a", "b*")[0] == 0
    assert sorted(t.name for t in store(ws).scan() if t.pinned) == ["a", "b*"]


def test_ls_names_lists_the_query_s_tasks_one_a_line(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    created = gen(ws, capsys, "seed: 1 | 2 | 3\n", "-n", "s")
    assert names(ws, capsys, "seed>=2") == created[1:]
    assert names(ws, capsys, "nothing-matches") == []
    code, out, err = cli(ws, capsys, "ls", "--names", "--json")
    assert code == 2 and out == "" and "--names cannot go with --json" in err


def test_run_and_wait_take_a_batch_and_wait_all_waits_for_what_is_active(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    batch = [project.add(f"sweep_{i}-of-3", f"print({i})") for i in (1, 2, 3)]
    other = project.add("sweep_extra", "print('not in the batch')")
    assert project.cli("run", "sweep", "--wait") == 0
    assert "3 of 3 tasks completed" in capsys.readouterr().out
    assert project.store.get(other).status.value == "pending"
    assert project.cli("wait", "sweep") == 0
    assert capsys.readouterr().out.splitlines() == ["3 of 3 tasks completed"]
    assert project.store.get(batch[2]).status.value == "completed"

    code, release = project.gate("g")
    gated = [project.add(name, code) for name in ("gated", "gated_too")]
    assert project.cli("run", *gated) == 0
    capsys.readouterr()
    # `wait --all` in its own process: it takes the tasks active as it starts (both, held by the
    # gate), and registers as a waiter once it has them; only then are they let go
    waiting = subprocess.Popen([sys.executable, "-m", "pyruns_tui", "-C", str(project.dir), "wait", "--all"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiters = project.runner_paths.waiters_dir
    until(lambda: waiters.is_dir() and any(waiters.iterdir()), timeout=30)
    release()
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert out.splitlines() == ["2 of 2 tasks completed"]  # both: the wait took them as it started
    assert project.cli("wait", "--all") == 0
    assert capsys.readouterr().out == "no task is queued or running\n"
    assert project.cli("wait") == 2
    assert "give task names or --all" in capsys.readouterr().err
    assert project.cli("wait", "--all", "sweep") == 2  # it said "give task names or --all"
    assert "--all takes no task names" in capsys.readouterr().err


def test_after_a_batch_waits_for_each_of_its_tasks(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = gen(ws, capsys, "seed: 1 | 2\n", "-n", "pre")
    (later,) = gen(ws, capsys, "after: pre\nseed: 9\n", "-n", "later")  # the spec's `after:` key
    assert store(ws).get(later).after == batch
    (ws / "spec.yaml").write_text("after: 'nope*'\nseed: 9\n")
    code, _, err = cli(ws, capsys, "gen", str(ws / "spec.yaml"))
    assert code == 1 and "after 'nope*': no task matches it in this workspace" in err, err


def test_a_batch_says_which_workspace_when_there_are_several(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "eval.py").write_text(SCRIPT)
    assert cli(ws, capsys, "init", "eval.py")[0] == 0
    (ws / "spec.yaml").write_text("seed: 1 | 2\n")
    assert cli(ws, capsys, "-w", "train", "gen", str(ws / "spec.yaml"), "-n", "sweep")[0] == 0
    created = ["sweep_1-of-2", "sweep_2-of-2"]
    code, out, err = cli(ws, capsys, "pin", "sweep")  # no -w: only `train` has a batch `sweep`
    assert code == 0, err
    assert [t.name for t in store(ws).scan() if t.pinned] == created


def test_what_a_batch_leaves_alone_is_one_line_a_reason(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a stop of a batch of 20 finished tasks printed 20 `NAME: is completed, nothing to stop` lines
    created = gen(ws, capsys, "seed: 1 | 2 | 3 | 4 | 5 | 6\n", "-n", "big")
    gen(ws, capsys, "seed: 7 | 8\n", "-n", "small")
    code, out, err = cli(ws, capsys, "stop", "big", "small")
    assert code == 0 and out == "", out
    assert err.splitlines() == [f"8 tasks are pending, nothing to stop: {', '.join(created[:5])}, ... (3 more)"]
    code, out, err = cli(ws, capsys, "stop", "small")
    assert code == 0 and err.splitlines() == ["small_1-of-2: is pending, nothing to stop",
                                              "small_2-of-2: is pending, nothing to stop"], err


def test_restore_takes_a_batch_and_a_glob_of_the_trash(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    created = gen(ws, capsys, "seed: 1 | 2 | 3 | 4 | 5 | 6 | 7\n", "-n", "sweep")
    assert cli(ws, capsys, "rm", "sweep")[0] == 0
    assert names(ws, capsys) == []
    code, out, err = cli(ws, capsys, "restore", "sweep_[67]-*")
    assert code == 0 and out == "restored 2 tasks: sweep_6-of-7, sweep_7-of-7\n", err
    code, out, err = cli(ws, capsys, "restore", "sweep", "nosuch")
    assert code == 1 and "no task named 'nosuch' in the trash" in err and names(ws, capsys) == created[5:]
    code, out, err = cli(ws, capsys, "restore", "sweep")
    assert code == 0 and out == f"restored 5 tasks: {', '.join(created[:5])}\n", err
    assert names(ws, capsys) == created


def test_wait_says_what_ended_it_as_run_wait_does(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    # `wait` printed `NAME: queued` for the tasks the circuit breaker held back, without the
    # pause, and `failed (exit code 1)` where `run --wait` named the error; a batch of 20 was 20 lines
    names = [project.add(f"broken_{i}-of-8", "import torchvision_transforms_v9") for i in range(1, 9)]
    assert project.cli("run", "broken", "-j", "1") == 0
    capsys.readouterr()
    assert project.cli("wait", "broken") == 1
    out = capsys.readouterr().out.splitlines()
    error = "ModuleNotFoundError: No module named 'torchvision_transforms_v9'"
    assert out == [
        *(f"{name}: failed ({error})" for name in names[:3]),
        f"5 tasks queued: {', '.join(names[3:])}",
        "0 of 8 tasks completed",
        f'paused: 3 tasks failed with "{error}"; `pyr-tui runner resume` starts the queued ones',
    ], out
    assert project.cli("stop", "broken") == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"5 tasks cancelled (pending): {', '.join(names[3:])}"], out
    assert project.cli("stop", "--all") == 0
    assert capsys.readouterr().out == "no task is queued or running\n"


def test_restore_finds_the_workspace_whose_trash_has_the_names(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # it said "has several workspaces; choose one with -w NAME" though one trash alone had them
    (ws / "eval.py").write_text(SCRIPT)
    assert cli(ws, capsys, "init", "eval.py")[0] == 0
    (ws / "spec.yaml").write_text("seed: 1 | 2\n")
    assert cli(ws, capsys, "-w", "eval", "gen", str(ws / "spec.yaml"), "-n", "ev")[0] == 0
    assert cli(ws, capsys, "rm", "ev")[0] == 0
    code, out, err = cli(ws, capsys, "restore", "nosuch")
    assert code == 1 and "no task named 'nosuch' in the trash of any workspace of" in err and "ls --trash" in err, err
    code, out, err = cli(ws, capsys, "restore", "ev")
    assert code == 0 and out == "restored 2 tasks: ev_1-of-2, ev_2-of-2\n", err


def test_rm_of_a_batch_names_every_active_task_and_renames_are_said(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    # it named the first active task only, so a user stopped them one `rm` at a time; a task the
    # trash held the name of was listed under its trash name as if that were the task
    code, release = project.gate("g")
    names = [project.add(f"slow_{i}-of-3", code) for i in (1, 2, 3)]
    assert project.cli("run", "slow", "-j", "1") == 0
    until(lambda: project.store.get(names[0]).status.value == "running")
    capsys.readouterr()
    assert project.cli("rm", "slow") == 1
    err = capsys.readouterr().err
    assert err == ("pyr-tui: error: 3 of these tasks are active (1 running, 2 queued): "
                   f"{', '.join(names)}; stop them before deleting\n"), err
    release()
    assert project.cli("wait", "slow") == 0
    assert project.cli("rm", "slow_1-of-3") == 0
    again = project.add("slow_1-of-3", "pass")
    capsys.readouterr()
    assert project.cli("rm", again) == 0
    assert capsys.readouterr().out.splitlines() == [
        "moved 1 task to the trash: slow_1-of-3",
        "in the trash under other names (it held theirs): slow_1-of-3 as slow_1-of-3_2"]


def test_a_batch_whose_names_are_partly_taken_keeps_one_naming(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # with x_1-of-2 alone taken, a new batch x was named x_1-of-2_2 and x_2-of-2: two namings
    gen(ws, capsys, "seed: 1 | 2\n", "-n", "x")
    assert cli(ws, capsys, "rm", "x_2-of-2")[0] == 0
    assert gen(ws, capsys, "seed: 3 | 4\n", "-n", "x") == ["x_1-of-2_2", "x_2-of-2_2"]
    assert gen(ws, capsys, "seed: 5 | 6\n", "-n", "x") == ["x_1-of-2_3", "x_2-of-2_3"]
    assert gen(ws, capsys, "seed: 7\n", "-n", "x") == ["x"]  # a single task is named x: free


def test_a_task_s_name_that_is_also_a_batch_s_prefix_picks_the_task_and_a_note_names_the_batch(
        ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `pin sweep` with a task `sweep` and a batch sweep_1-of-4... pinned the one task and said
    # nothing: a user who meant the batch had no way to see why, nor how to name it
    batch = gen(ws, capsys, "seed: 1 | 2 | 3 | 4\n", "-n", "sweep")
    assert gen(ws, capsys, "seed: 5\n", "-n", "sweep") == ["sweep"]
    note = ("pyr-tui: note: 'sweep' is a task's name, so it names that task alone, not the 4 tasks of batch "
            "'sweep'; 'sweep_*-of-4' names those\n")
    for command in (("pin",), ("stop",), ("wait",), ("rm",)):  # (`run` resolves as they do: Context.resolve_tasks)
        code, out, err = cli(ws, capsys, *command, "sweep")
        assert err.startswith(note), (command, code, out, err)  # (and `stop`: is pending, nothing to stop)
    assert names(ws, capsys) == batch and names(ws, capsys, "--trash") == ["sweep"]  # rm took the task alone
    code, out, err = cli(ws, capsys, "restore", "sweep")  # no batch in the trash: nothing to say
    assert code == 0 and err == "", err
    code, out, err = cli(ws, capsys, "pin", "sweep_*-of-4")  # the note's glob names the batch
    assert code == 0 and out == f"pinned {', '.join(batch)}\n" and err == "", err
    for words in (("sweep", "sweep_*"), ("sweep_2-of-4",)):  # nothing left out; a batch's task name
        code, _, err = cli(ws, capsys, "pin", *words)
        assert code == 0 and err == "", (words, err)
    code, _, err = cli(ws, capsys, "show", "sweep")  # a command of one task: the task is all it could take
    assert code == 0 and err == "", err
    later = gen(ws, capsys, "seed: 6 | 7\n", "-n", "sweep")  # sweep_1-of-2: two batches with the prefix
    gen(ws, capsys, "seed: 8\n", "-n", "sweep_x")  # a task the glob sweep_* would take too
    code, out, err = cli(ws, capsys, "pin", "--off", "sweep")
    assert code == 0 and out == "unpinned sweep\n" and err == (
        "pyr-tui: note: 'sweep' is a task's name, so it names that task alone, not the 6 tasks of batch "
        "'sweep'; 'sweep_*-of-*' names those\n"), err
    assert cli(ws, capsys, "pin", "--off", "sweep_*-of-*")[0] == 0
    assert [t.name for t in store(ws).scan() if t.pinned] == []  # the glob: both batches, not sweep_x
    assert cli(ws, capsys, "pin", "sweep_*-of-*")[0] == 0
    assert sorted(t.name for t in store(ws).scan() if t.pinned) == sorted(batch + later)
    assert cli(ws, capsys, "rm", "sweep", "sweep_1-of-2", "sweep_*-of-4")[0] == 0
    code, out, err = cli(ws, capsys, "restore", "sweep")  # the trash: sweep, sweep_1-of-2, the batch of 4
    assert code == 0 and out == "restored 1 task: sweep\n" and err == (
        "pyr-tui: note: 'sweep' is a task's name, so it names that task alone, not the 5 tasks of batch "
        "'sweep'; 'sweep_*-of-*' names those\n"), err
