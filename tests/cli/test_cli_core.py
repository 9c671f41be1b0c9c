"""The headless commands of the foundation: init, gen, ls, show, rm, restore, pin, note."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from pyruns_tui.cli import main
from tests.cli.helpers import pyr
from tests.conftest import DEMO
from tests.scripts import MAPPING_DEFAULT_SCRIPT

SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1, help="learning rate")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--opt", choices=["adam", "sgd"], default="adam")
p.add_argument("--amp", action="store_true")
args = p.parse_args()
print(vars(args))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(SCRIPT)
    assert main(["-C", str(tmp_path), "init", "train.py"]) == 0
    return tmp_path


def run_cli(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(project), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def spec(project: Path, text: str) -> str:
    path = project / "spec.yaml"
    path.write_text(text)
    return str(path)


def test_init_writes_workspace_files(project: Path) -> None:
    ws = project / "_pyruns_" / "train"
    info = json.loads((ws / "script_info.json").read_text())
    assert info["kind"] == "argparse" and info["script"] == str(project / "train.py")
    assert [p["key"] for p in info["params"]] == ["lr", "seed", "opt", "amp"]
    text = (ws / "config_default.yaml").read_text()
    assert "learning rate" in text
    assert (project / "_pyruns_" / "_pyruns_settings.yaml").is_file()


def test_gen_dry_run_json_shape(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(project, capsys, "gen", spec(project, "lr: 0.1 | 0.01\nseed: 1\n"), "-n", "exp",
                           "--dry-run", "--json")
    assert code == 0
    assert json.loads(out) == {
        "count": 2,
        "tasks": [
            {"name": "exp_1-of-2", "config": {"lr": 0.1, "seed": 1, "opt": "adam", "amp": False}},
            {"name": "exp_2-of-2", "config": {"lr": 0.01, "seed": 1, "opt": "adam", "amp": False}},
        ],
    }
    assert not any((project / "_pyruns_" / "train" / "tasks").iterdir())


def test_gen_creates_tasks_and_ls_lists_them(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(project, capsys, "gen", spec(project, "lr: 0.1 | 0.01\nopt: adam | sgd\n"), "-n", "g")
    assert code == 0 and out.strip() == "created 4 tasks g_1-of-4 ... g_4-of-4"  # as the Generator says it
    code, out, _ = run_cli(project, capsys, "gen", spec(project, "lr: 0.5\n"), "-n", "one", "--dry-run")
    assert code == 0 and out.splitlines()[-1] == "1 task would be created"
    code, out, _ = run_cli(project, capsys, "ls", "--json")
    listed = json.loads(out)
    assert [t["name"] for t in listed] == [f"g_{i}-of-4" for i in range(1, 5)]
    assert [t["params"]["opt"] for t in listed] == ["adam", "sgd", "adam", "sgd"]
    assert {t["status"] for t in listed} == {"pending"}
    code, out, _ = run_cli(project, capsys, "ls", "opt:sgd", "lr<0.05")
    assert [line.split()[1] for line in out.splitlines()[1:]] == ["g_4-of-4"]


def test_unknown_parameter_is_refused_with_a_hint(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(project, capsys, "gen", spec(project, "lrr: 0.1\n"))
    assert code == 1 and "unknown parameter 'lrr'" in err and "did you mean 'lr'" in err


def test_gen_says_a_yaml_mistake_plainly_as_the_generator_does(project: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`gen` reads its spec as the Generator's YAML mode does (spec_text.parse_spec): one rule, one message."""
    code, _, err = run_cli(project, capsys, "gen", spec(project, "lr:0.1\n"))
    assert code == 1 and err.strip().endswith(
        "spec.yaml: the spec must be a mapping of key: value; line 1 has no space after the colon (`lr:0.1`); "
        "write `lr: 0.1`")
    code, _, err = run_cli(project, capsys, "gen", spec(project, "  lr: 0.1\nseed: 1\n"))
    assert code == 1 and err.strip().endswith(
        "spec.yaml:1:3: invalid YAML: line 1 is indented; top-level keys start at column 1 (remove the spaces before "
        "`lr:`)")


def test_defaults_are_never_expanded(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    default = project / "_pyruns_" / "train" / "config_default.yaml"
    default.write_text(default.read_text().replace("opt: adam", "opt: a|b"))
    info_path = default.with_name("script_info.json")
    info = json.loads(info_path.read_text())
    for param in info["params"]:
        param.pop("choices", None)  # a free text parameter: 'a|b' is a valid value, not a grid
    info_path.write_text(json.dumps(info))
    code, out, _ = run_cli(project, capsys, "gen", spec(project, "seed: 3\n"), "--dry-run", "--json")
    assert json.loads(out)["tasks"][0]["config"]["opt"] == "a|b"


def test_a_mapping_default_does_not_refuse_every_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # timm's train.py: `--model-kwargs` (nargs='*', a custom action) defaults to {}; the launch
    # leaves the default off the command line, so gen must not refuse it (it refused every spec)
    (tmp_path / "train.py").write_text(MAPPING_DEFAULT_SCRIPT)
    assert run_cli(tmp_path, capsys, "init", "train.py")[0] == 0
    code, out, err = run_cli(tmp_path, capsys, "gen", spec(tmp_path, "lr: 0.2 | 0.3\n"), "--dry-run", "--json")
    assert code == 0, err
    assert [t["config"] for t in json.loads(out)["tasks"]] == [
        {"model_kwargs": {}, "lr": 0.2}, {"model_kwargs": {}, "lr": 0.3}]
    code, out, err = run_cli(tmp_path, capsys, "gen", spec(tmp_path, "model_kwargs: [drop=0.1]\n"), "--dry-run", "--json")
    assert code == 0 and json.loads(out)["tasks"][0]["config"]["model_kwargs"] == ["drop=0.1"], err


def test_a_value_that_is_no_list_for_a_list_argument_says_how_to_write_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # yolov5's `--freeze`, nargs='+': `freeze: 0, 1` in a spec is the text "0, 1"; the error said to
    # "write a, b or [a, b]", which is what was written
    (tmp_path / "train.py").write_text(
        "import argparse\np = argparse.ArgumentParser()\n"
        "p.add_argument('--freeze', nargs='+', type=int, default=[0])\nprint(vars(p.parse_args()))\n")
    assert run_cli(tmp_path, capsys, "init", "train.py")[0] == 0
    code, _, err = run_cli(tmp_path, capsys, "gen", spec(tmp_path, "freeze: 0, 1\n"), "--dry-run")
    assert code == 1
    assert err.strip() == "pyr-tui: error: freeze: '0, 1' is not a list (write [a, b]; a grid of lists: [a] | [b, c])"
    code, out, err = run_cli(tmp_path, capsys, "gen", spec(tmp_path, 'freeze: "[0, 1] | [10]"\n'), "--dry-run", "--json")
    assert code == 0 and [t["config"]["freeze"] for t in json.loads(out)["tasks"]] == [[0, 1], [10]], err


@pytest.mark.parametrize("script", [
    "import argparse\np = argparse.ArgumentParser()\np.add_argument('--sizes', nargs='+', type=int, default=[1])\n"
    "p.parse_args()\n",
    "import pyruns_tui as pr\ncfg = pr.load()\n"])
def test_a_list_in_quotes_is_said_to_be_a_text_because_of_its_quotes(tmp_path: Path, script: str) -> None:
    # `"[1, 2]"` in a grid was "'[1, 2]' is not a list (write [a, b] ...)": what had been written
    (tmp_path / "train.py").write_text(script)
    (tmp_path / "train.yaml").write_text("sizes: [1]\n")
    assert pyr(tmp_path, "init", "train.py").code == 0
    for spec in ("sizes: '\"[1, 2]\" | [3]'\n", 'sizes: "[1, 2]"\n'):
        refused = pyr(tmp_path, "gen", "-", "--dry-run", stdin=spec)
        assert (refused.code, refused.err) == (
            1, "pyr-tui: error: sizes: '[1, 2]' is in quotes: a text, not a list (drop the quotes: [1, 2])\n"), spec
    done = pyr(tmp_path, "gen", "-", "--dry-run", "--json", stdin="sizes: '[1, 2] | [3]'\n")
    assert [t["config"]["sizes"] for t in done.json()["tasks"]] == [[1, 2], [3]], done.err


def test_an_optional_value_argument_with_a_bool_default_takes_a_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # yolov5's `--resume` (nargs='?', const=True, default=False): `resume: runs/exp/last.pt` was
    # refused as "not true or false", and the Generator drew a Switch that could not hold a path
    (tmp_path / "train.py").write_text(
        "import argparse\np = argparse.ArgumentParser()\n"
        "p.add_argument('--resume', nargs='?', const=True, default=False)\nprint(vars(p.parse_args()))\n")
    assert run_cli(tmp_path, capsys, "init", "train.py")[0] == 0
    code, out, err = run_cli(tmp_path, capsys, "gen", spec(tmp_path, "resume: runs/exp/last.pt | true\n"),
                             "--dry-run", "--json")
    assert code == 0, err
    assert [t["config"]["resume"] for t in json.loads(out)["tasks"]] == ["runs/exp/last.pt", True]


def test_a_grid_of_lone_values_for_a_list_argument_needs_no_brackets_nor_quotes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `freeze: 0 | 10` was refused ("0 is not a list"): it took `freeze: "[0] | [10]"`, quoted for YAML
    (tmp_path / "train.py").write_text(
        "import argparse\np = argparse.ArgumentParser()\n"
        "p.add_argument('--freeze', nargs='+', type=int, default=[0])\nprint(vars(p.parse_args()))\n")
    assert run_cli(tmp_path, capsys, "init", "train.py")[0] == 0
    code, out, err = run_cli(tmp_path, capsys, "gen", spec(tmp_path, "freeze: 0 | 10 | [1, 2]\n"), "--dry-run", "--json")
    assert code == 0 and [t["config"]["freeze"] for t in json.loads(out)["tasks"]] == [[0], [10], [1, 2]], err  # as the runs get them


def test_single_task_is_named_by_the_prefix(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(project, capsys, "gen", spec(project, "lr: 0.5\n"), "-n", "solo")
    assert (project / "_pyruns_" / "train" / "tasks" / "solo" / "config.yaml").is_file()


def test_skip_existing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(project, capsys, "gen", spec(project, "lr: 0.1\n"), "-n", "a")
    code, out, _ = run_cli(project, capsys, "gen", spec(project, "lr: 0.1 | 0.2\n"), "-n", "b", "--skip-existing",
                           "--json")
    assert json.loads(out) == {"count": 1, "skipped": 1, "tasks": ["b"]}


def test_refused_grid_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(project, capsys, "gen", spec(project, "lr: 0:100000000:1\n"))
    assert code == 1 and "100000000" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(project, capsys, "gen", spec(project, "lr: (1 | 2)\nseed: (1 | 2 | 3)\n"))
    assert code == 1 and "lr" in err and "seed" in err
    assert not any((project / "_pyruns_" / "train" / "tasks").iterdir())


def test_show_json_is_task_info(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(project, capsys, "gen", spec(project, "lr: 0.3\n"), "-n", "s")
    code, out, _ = run_cli(project, capsys, "show", "s", "--json")
    on_disk = json.loads((project / "_pyruns_" / "train" / "tasks" / "s" / "task_info.json").read_text())
    assert code == 0 and json.loads(out) == on_disk


def test_rm_restore_pin_note(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(project, capsys, "gen", spec(project, "lr: 0.1 | 0.2\n"), "-n", "t")
    assert run_cli(project, capsys, "pin", "t_1-of-2")[0] == 0
    assert run_cli(project, capsys, "note", "t_1-of-2", "first try")[0] == 0
    info = json.loads(run_cli(project, capsys, "show", "t_1-of-2", "--json")[1])
    assert info["pinned"] is True and info["notes"] == "first try"
    assert run_cli(project, capsys, "rm", "t_2-of-2")[0] == 0
    assert [t["name"] for t in json.loads(run_cli(project, capsys, "ls", "--json")[1])] == ["t_1-of-2"]
    assert [t["name"] for t in json.loads(run_cli(project, capsys, "ls", "--trash", "--json")[1])] == ["t_2-of-2"]
    assert run_cli(project, capsys, "restore", "t_2-of-2")[0] == 0
    assert len(json.loads(run_cli(project, capsys, "ls", "--json")[1])) == 2


def test_a_name_with_whitespace_is_refused_and_one_given_before_is_kept(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`gen -n "my run"` made `my run_1-of-2`, which every later command needed quoted: it is
    refused in one line saying what to type instead. A task so named before stays as it is:
    listed, shown, trashed and restored under its own name."""
    assert run_cli(project, capsys, "gen", spec(project, "lr: 0.1 | 0.2\n"), "-n", "my run") == (
        1, "", "pyr-tui: error: invalid task name prefix 'my run': a task name cannot contain whitespace "
               "(commands would need quotes around it): use 'my_run'\n")
    assert run_cli(project, capsys, "gen", spec(project, "lr: 0.1\n"), "-n", "my\u00a0run")[2].endswith(
        "use 'my_run'\n")  # a no-break space too
    assert run_cli(project, capsys, "ls", "--json")[1] == "[]\n"
    tasks = project / "_pyruns_" / "train" / "tasks"
    run_cli(project, capsys, "gen", spec(project, "lr: 0.1 | 0.2\n"), "-n", "old")
    for n in (1, 2):  # as an earlier version named them
        os.rename(tasks / f"old_{n}-of-2", tasks / f"my run_{n}-of-2")
        info = json.loads((tasks / f"my run_{n}-of-2" / "task_info.json").read_text())
        (tasks / f"my run_{n}-of-2" / "task_info.json").write_text(json.dumps(dict(info, name=f"my run_{n}-of-2")))
    listed = [t["name"] for t in json.loads(run_cli(project, capsys, "ls", "--json")[1])]
    assert listed == ["my run_1-of-2", "my run_2-of-2"]
    assert json.loads(run_cli(project, capsys, "show", "my run_1-of-2", "--json")[1])["name"] == "my run_1-of-2"
    assert run_cli(project, capsys, "rm", "my run_1-of-2")[0] == 0
    assert run_cli(project, capsys, "restore", "my run_1-of-2")[:2] == (0, "restored 1 task: my run_1-of-2\n")
    assert [t["name"] for t in json.loads(run_cli(project, capsys, "ls", "--json")[1])] == listed


def test_a_stray_file_or_symlink_named_like_a_task_takes_the_name(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It made restore and gen fail with `Not a directory`, blaming .trash/<name> or tasks/."""
    tasks = project / "_pyruns_" / "train" / "tasks"
    run_cli(project, capsys, "gen", spec(project, "lr: 0.3\n"), "-n", "stray")
    assert run_cli(project, capsys, "rm", "stray")[0] == 0
    (tasks / "stray").write_text("junk\n")
    assert run_cli(project, capsys, "restore", "stray") == (
        0, "restored 1 task: stray_2\nrenamed, as their names were taken: stray as stray_2\n", "")
    assert run_cli(project, capsys, "gen", spec(project, "lr: 0.3\n"), "-n", "stray") == (0, "created 1 task stray_3\n", "")
    (tasks / "dangle").symlink_to("/nonexistent")
    assert run_cli(project, capsys, "gen", spec(project, "lr: 0.3\n"), "-n", "dangle") == (0, "created 1 task dangle_2\n", "")
    assert (tasks / "stray").read_text() == "junk\n" and os.readlink(tasks / "dangle") == "/nonexistent"
    assert "trashed_at" not in json.loads((tasks / "stray_2" / "task_info.json").read_text())


def test_pin_param_becomes_a_column(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(project, capsys, "gen", spec(project, "lr: 0.1 | 0.2\n"), "-n", "t")
    run_cli(project, capsys, "pin", "--param", "lr")
    header, *rows = run_cli(project, capsys, "ls")[1].splitlines()
    assert header.split()[-1] == "lr" and [r.split()[-1] for r in rows] == ["0.1", "0.2"]


def test_pin_param_refuses_a_parameter_no_task_has(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A typo would be an empty column for ever: refused in one line with the closest names, and
    nothing of the command is done (the task named with it stays unpinned). A parameter of a task
    alone (not of the script) or of config_default.yaml alone (no task yet) is known; unpinning
    takes any name (a pin whose tasks are gone must come off)."""
    run_cli(project, capsys, "gen", spec(project, "lr: 0.1 | 0.2\n"), "-n", "t")
    code, out, err = run_cli(project, capsys, "pin", "--param", "seeed", "t_1-of-2")
    assert (code, out) == (1, "")
    assert err == ("pyr-tui: error: unknown parameter 'seeed': neither config_default.yaml nor any task of "
                   "workspace 'train' has it (closest: seed); nothing was pinned\n")
    assert run_cli(project, capsys, "ls")[1].count("*") == 0
    assert "seeed" not in (project / "_pyruns_" / "train" / "script_info.json").read_text()
    assert run_cli(project, capsys, "pin", "--param", "opt")[0] == 0  # config_default.yaml's
    config = project / "_pyruns_" / "train" / "tasks" / "t_2-of-2" / "config.yaml"
    config.write_text(config.read_text() + "extra: 1\n")
    assert run_cli(project, capsys, "pin", "--param", "extra") == (0, "pinned param extra\n", "")
    assert run_cli(project, capsys, "pin", "--off", "--param", "gone") == (0, "unpinned param gone\n", "")


def test_ls_reads_configs_only_for_what_it_shows(project: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """No pinned parameter and a query about task states alone: no config.yaml is read (0.7 s of
    `ls` over 100,000 tasks); pinned columns, a parameter term and --json still read them."""
    from pyruns_tui.workspace.store import TaskStore

    run_cli(project, capsys, "gen", spec(project, "lr: 0.1 | 0.2\n"), "-n", "t")
    read: list[str] = []
    config = TaskStore._config
    monkeypatch.setattr(TaskStore, "_config", lambda self, name: read.append(name) or config(self, name))
    header, *rows = run_cli(project, capsys, "ls")[1].splitlines()
    assert header.split() == ["STATUS", "NAME", "RUNS", "CREATED", "DURATION"] and len(rows) == 2
    assert run_cli(project, capsys, "ls", "status:pending")[1].count("pending") == 2
    assert read == []
    assert [line.split()[1] for line in run_cli(project, capsys, "ls", "lr>0.15")[1].splitlines()[1:]] == ["t_2-of-2"]
    assert [t["params"]["lr"] for t in json.loads(run_cli(project, capsys, "ls", "--json")[1])] == [0.1, 0.2]
    run_cli(project, capsys, "pin", "--param", "lr")
    assert [row.split()[-1] for row in run_cli(project, capsys, "ls")[1].splitlines()[1:]] == ["0.1", "0.2"]


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["show", "nope"], 1, "no task named 'nope'"),
        (["rm", "nope"], 1, "no task named 'nope'"),
        (["gen", "missing.yaml"], 1, "missing.yaml: cannot read the spec"),
        # Python's `[Errno 2] No such file or directory: '<the path again>'`, and no way out
        (["init", "train.py", "missing.yaml"], 1,
         "missing.yaml: no such file (give the path of an existing YAML file, or leave it out to start"),
        (["ls", "lr>="], 1, "needs a value"),
        # an ordered comparison with a value that is no number matched no task, silently
        (["ls", "lr>=abc"], 1, "search term 'lr>=abc': 'abc' is not a number (>= compares numbers"),
        (["export", "lr>>0.1"], 1, "search term 'lr>>0.1': '>0.1' is not a number"),
        (["frobnicate"], 2, ""),
        (["logs", "t"], 2, "unknown command 'logs' (did you mean 'log'? commands: init,"),  # a typo: which one
        (["gen"], 2, "the following arguments are required"),
        (["-w", "nosuch", "ls"], 1, "no workspace 'nosuch'"),
        # an unknown option was said to be a missing TASK, and the hint named the top-level help
        (["run", "-x"], 2, "pyr-tui run: error: unrecognized option -x (see `pyr-tui run --help`"),
        (["show", "--nope=1"], 2, "pyr-tui show: error: unrecognized option --nope=1"),
        (["run", "t", "-x"], 2, "pyr-tui run: error: unrecognized arguments: -x (see `pyr-tui run --help`"),
        (["run", "-j", "2"], 2, "the following arguments are required: TASK"),
    ],
)
def test_errors_are_one_line_with_exit_code(project: Path, args: list[str], code: int, needle: str) -> None:
    result = pyr(project, *args)
    assert result.code == code
    assert needle in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1


def test_malformed_spec_names_file_and_line(project: Path) -> None:
    (project / "bad.yaml").write_text("lr: [1, 2\nseed: 3\n")
    result = pyr(project, "gen", "bad.yaml")
    assert result.code == 1 and "bad.yaml" in result.err and "Traceback" not in result.err


def test_no_workspace_is_a_clear_error(tmp_path: Path) -> None:
    result = pyr(tmp_path, "ls")
    assert result.code == 1 and "no _pyruns_ folder" in result.err


def test_several_workspaces_need_w(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(project / "train.py", project / "other.py")
    assert main(["-C", str(project), "init", "other.py"]) == 0
    code, _, err = run_cli(project, capsys, "ls")
    assert code == 1 and "choose one with -w" in err
    assert run_cli(project, capsys, "-w", "other", "ls", "--json")[0] == 0


def test_with_several_workspaces_the_named_tasks_pick_one(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(project / "train.py", project / "other.py")
    assert main(["-C", str(project), "init", "other.py"]) == 0
    (project / "s.yaml").write_text("lr: 0.1 | 0.2\n")
    assert run_cli(project, capsys, "-w", "train", "gen", "s.yaml", "-n", "mine")[0] == 0
    assert run_cli(project, capsys, "-w", "other", "gen", "s.yaml", "-n", "theirs")[0] == 0
    code, out, _ = run_cli(project, capsys, "show", "--json", "mine_1-of-2")  # only train has it
    assert code == 0 and json.loads(out)["name"] == "mine_1-of-2"
    assert run_cli(project, capsys, "note", "theirs_2-of-2", "kept")[0] == 0
    assert json.loads(run_cli(project, capsys, "-w", "other", "show", "--json", "theirs_2-of-2")[1])["notes"] == "kept"
    code, _, err = run_cli(project, capsys, "compare", "mine_1-of-2", "theirs_1-of-2")  # in two different ones
    assert code == 1 and "has all of 'mine_1-of-2', 'theirs_1-of-2'" in err and "-w NAME" in err
    code, _, err = run_cli(project, capsys, "show", "nope")
    assert code == 1 and "no task named 'nope' in any workspace" in err
    assert run_cli(project, capsys, "-w", "other", "gen", "s.yaml", "-n", "mine")[0] == 0  # now in both
    code, _, err = run_cli(project, capsys, "show", "mine_1-of-2")
    assert code == 1 and "workspaces other, train" in err and "choose one with -w" in err


def test_runner_stop_tasks_is_a_flag_not_task_names(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `--tasks` of `runner stop` is a flag: read as the task names of the command, it was a TypeError
    code, _, err = run_cli(project, capsys, "runner", "stop", "--tasks")
    assert code == 0 and "Traceback" not in err


def test_ls_lists_a_batch_in_its_natural_order(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a batch shares its creation time: ls broke the tie as text, b_1, b_10, b_11, b_12, b_2, ...
    (project / "s.yaml").write_text("seed: 0:12\n")
    assert run_cli(project, capsys, "gen", "s.yaml", "-n", "b")[0] == 0
    code, out, _ = run_cli(project, capsys, "ls", "--json")
    assert code == 0 and [t["name"] for t in json.loads(out)] == [f"b_{i}-of-12" for i in range(1, 13)]


def test_runner_stop_without_w_stops_every_workspaces_runner(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # cleaning up a project with two workspaces needed `-w NAME runner stop` for each
    from pyruns_tui.runner import client
    from pyruns_tui.workspace.layout import Layout

    shutil.copy(project / "train.py", project / "other.py")
    assert main(["-C", str(project), "init", "other.py"]) == 0
    layouts = [Layout(root=project / "_pyruns_", name=name) for name in ("other", "train")]
    for layout in layouts:
        client.ensure_runner(layout)
    code, out, _ = run_cli(project, capsys, "runner", "stop")
    assert code == 0 and out.splitlines()[-2:] == ["other: runner stopped", "train: runner stopped"]
    assert not any(client.runner_alive(layout) for layout in layouts)


def test_a_text_starting_with_a_dash_says_to_put_it_after_dashes(project: Path) -> None:
    # argparse's words alone ("argument -h/--help: ignored explicit argument 'ello'") did not say what to do
    import sys

    result = pyr(project, "note", "nope", "-hello")
    if sys.version_info >= (3, 13):  # 3.13's argparse reads -hello as -h: the help, exit 0
        assert result.code == 0 and result.out.startswith("usage: pyr-tui note")
    else:
        assert result.code == 2 and "a value that starts with - goes after --" in result.err, result.err
    assert pyr(project, "note", "nope", "--", "-hello").err.count("no task named 'nope'") == 1



def test_an_option_value_starting_with_a_dash_says_to_join_it_with_equals(project: Path) -> None:
    # `run T --sbatch-arg --exclusive`: argparse said only "expected one argument"
    result = pyr(project, "run", "nope", "--sbatch-arg", "--exclusive")
    assert result.code == 2 and "expected one argument" in result.err, result.err
    assert "a value that starts with - is joined to its option by =, as in `--sbatch-arg=-VALUE`" in result.err
    result = pyr(project, "run", "nope", "--sbatch-arg")  # a value only missing: no such hint
    assert result.code == 2 and "expected one argument" in result.err and "joined" not in result.err

def test_debug_shows_traceback(project: Path) -> None:
    result = pyr(project, "--debug", "show", "nope")
    assert result.code == 1 and "Traceback" in result.err


def test_shell_workspace_gen_quotes_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(tmp_path), "init", "--shell"]) == 0
    (tmp_path / "s.yaml").write_text("command: echo {msg} {n}\nparams:\n  msg: \"'; touch pwned' | ok\"\n  n: 1\n")
    code, out, _ = run_cli(tmp_path, capsys, "-w", "_shell_", "gen", str(tmp_path / "s.yaml"), "-n", "sh")
    assert code == 0
    tasks = tmp_path / "_pyruns_" / "_shell_" / "tasks"
    assert (tasks / "sh_1-of-2" / "config.sh").read_text() == "echo '; touch pwned' 1"
    assert (tasks / "sh_2-of-2" / "config.sh").read_text() == "echo ok 1"


def test_init_demo_script(tmp_path: Path) -> None:
    if not (DEMO / "train.py").exists():
        pytest.skip("demo script not written yet")
    result = pyr(tmp_path, "init", str(DEMO / "train.py"))
    assert result.code == 0, result.err
    assert "argparse" in result.out


def test_init_counts_a_parameter_set_by_two_flags_once(tmp_path: Path) -> None:
    # HfArgumentParser's `--no_x` beside `--x` (run_glue: 143 parameters said for 133 fields)
    (tmp_path / "train.py").write_text(
        "import argparse\np = argparse.ArgumentParser()\n"
        "p.add_argument('--amp', action='store_true')\n"
        "p.add_argument('--no-amp', dest='amp', action='store_false')\n"
        "p.add_argument('--lr', type=float, default=0.1)\np.parse_args()\n")
    result = pyr(tmp_path, "init", "train.py")
    assert result.code == 0, result.err
    assert "(argparse, 2 parameters)" in result.out


def test_an_error_quoting_huge_values_stays_one_readable_line() -> None:
    from pyruns_tui.errors import LONG_MESSAGE, PyrunsError, shortened

    assert shortened("a short message: nothing cut") == "a short message: nothing cut"
    path = "/a/path/of/some/length/" * 10  # 230 characters: a path is not cut
    assert shortened(f"{path}: cannot read") == f"{path}: cannot read"
    word = "'" + "y" * 10_000 + "':"
    assert str(PyrunsError(f"value {word} is bad")) == f"value '{'y' * 127}…[10,003 characters]…yyyyyy': is bad"
    many = " ".join(f"'{i:04}'" for i in range(2000))  # 14,000 characters of short words
    text = shortened(f"start {many} end: how to fix")
    assert text.startswith("start '0000' '0001'") and text.endswith("'1999' end: how to fix")
    assert LONG_MESSAGE <= len(text) < LONG_MESSAGE + 60 and "…[12," in text


def test_running_out_of_memory_is_one_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A command that runs out of memory says so in one line, exit 1, no traceback: here `ls`
    reads a 200 MiB task file (a workspace file may be up to 256 MiB) under a 128 MiB limit on
    its address space, which the same `ls` of the workspace before fits in (~40 MiB)."""
    import resource
    import subprocess
    import sys

    limit = 128 << 20

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    def ls() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pyruns_tui", "ls"], cwd=project, capture_output=True,
                              text=True, preexec_fn=limited, timeout=60)

    assert run_cli(project, capsys, "gen", spec(project, "lr: 0.1 | 0.2\n"), "-n", "t")[0] == 0
    fits = ls()
    assert fits.returncode == 0 and "t_2-of-2" in fits.stdout, fits.stderr  # the limit leaves `ls` room
    with open(project / "_pyruns_" / "train" / "tasks" / "t_2-of-2" / "task_info.json", "r+b") as info:
        info.truncate(200 << 20)  # sparse: nothing is written, a reader allocates all of it
    result = ls()
    assert result.returncode == 1 and result.stdout == "", (result.stdout, result.stderr[-3000:])
    assert result.stderr == ("pyr-tui: error: out of memory; is an input given (a file, standard input) far "
                             "larger than meant? (--debug shows where)\n"), result.stderr[-3000:]


def test_several_C_options_chain_like_git(tmp_path: Path) -> None:
    """`-C a -C b` runs in a/b (git's rule): each DIR is relative to the one before, an absolute
    one starts over, an empty one changes nothing; a missing one is named as the joined path."""
    from tests.cli.helpers import SMALL_SCRIPT

    project = tmp_path / "a" / "b"
    project.mkdir(parents=True)
    (project / "train.py").write_text(SMALL_SCRIPT)
    assert pyr(tmp_path, "-C", "a", "-C", "b", "init", "train.py").code == 0
    assert (project / "_pyruns_" / "train").is_dir()
    assert not (tmp_path / "b").exists() and not (tmp_path / "_pyruns_").exists()
    assert pyr(tmp_path, "-C", "a", "-C", "", "-C", "b", "ls").code == 0
    assert pyr(tmp_path / "a", "-C", "elsewhere", "-C", str(project), "ls").code == 0  # absolute: starts over
    missing = pyr(tmp_path, "-C", "a", "-C", "nosuch", "ls")
    assert missing.code == 2 and missing.err == "pyr-tui: error: -C 'a/nosuch': no such directory\n"


def test_a_script_that_reads_no_parameters_is_said_so_by_init_and_gen(tmp_path: Path) -> None:
    # a script reading sys.argv by itself (nanoGPT's train.py, before its configurator was read): a grid
    # over batch_size made tasks that all ran `python train.py`, identical, and nothing said so
    (tmp_path / "ng").mkdir()
    (tmp_path / "ng" / "train.py").write_text("import sys\nbatch_size = int(sys.argv[1]) if sys.argv[1:] else 12\n")
    init = pyr(tmp_path / "ng", "init", "train.py")
    said = ("pyr-tui: warning: train.py has no argparse parser pyr-tui can read and does not call "
            "pyruns_tui.load(): its tasks run `python train.py` with no arguments, so their parameters do not "
            "reach it (read them with pyruns_tui.load(), see docs/script-api.md, or put them on a command line "
            "of your own in `pyr-tui --shell`)")
    assert (init.code, init.err.splitlines()) == (0, [said])
    gen = pyr(tmp_path / "ng", "gen", "-", "-n", "bs", stdin="batch_size: 32 | 64\n")
    assert (gen.code, gen.out, gen.err.splitlines()) == (0, "created 2 tasks bs_1-of-2 bs_2-of-2\n", [said])
    (tmp_path / "ap").mkdir()
    (tmp_path / "ap" / "train.py").write_text(SCRIPT)
    assert pyr(tmp_path / "ap", "init", "train.py").err == ""
    argparse_gen = pyr(tmp_path / "ap", "gen", "-", "-n", "lr", stdin="lr: 0.3\n")  # its parameters reach it
    assert (argparse_gen.code, argparse_gen.err) == (0, "")
