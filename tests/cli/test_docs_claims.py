"""Claims of README.md and docs/ that once did not hold when tried from a shell (issue 22)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pyruns_tui.cli import main
from tests.cli.helpers import SMALL_SCRIPT as SCRIPT
from tests.cli.helpers import record_run


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(SCRIPT)
    assert main(["-C", str(tmp_path), "init", "train.py"]) == 0
    return tmp_path


def cli(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(["-C", str(project), *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(project: Path, name: str, text: str) -> str:
    (project / name).write_text(text)
    return name


def test_every_json_output_writes_nan_and_inf_as_null(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    defaults = project / "_pyruns_" / "train" / "config_default.yaml"
    defaults.write_text(defaults.read_text() + "n4: .nan\n")
    spec = write(project, "spec.yaml", "lr: .inf | -.inf\n")
    code, out, err = cli(project, capsys, "gen", spec, "-n", "x", "--dry-run", "--json")
    assert code == 0, err
    assert [t["config"]["lr"] for t in json.loads(out)["tasks"]] == [None, None]
    assert cli(project, capsys, "gen", spec, "-n", "x")[0] == 0
    for args in (["ls", "--json"], ["show", "x_1-of-2", "--json"], ["export", "--json"],
                 ["compare", "x_1-of-2", "x_2-of-2", "--json"]):
        code, out, err = cli(project, capsys, *args)
        assert code == 0 and not err, args
        text = json.dumps(json.loads(out))
        assert "NaN" not in text and "Infinity" not in text, args
    code, out, _ = cli(project, capsys, "ls", "--json")
    assert [t["params"]["n4"] for t in json.loads(out)] == [None, None]


@pytest.mark.parametrize("prefix", ["a/b", ".hid", "x" * 201])
def test_gen_dry_run_refuses_the_names_gen_refuses(project: Path, capsys: pytest.CaptureFixture[str], prefix: str) -> None:
    spec = write(project, "spec.yaml", "lr: 0.1\n")
    dry = cli(project, capsys, "gen", spec, "-n", prefix, "--dry-run")
    real = cli(project, capsys, "gen", spec, "-n", prefix)
    assert dry[0] == real[0] == 1
    assert dry[2] == real[2] and "invalid task name" in dry[2]


@pytest.mark.parametrize("args", [
    ["run", "t", "-j", "0"], ["run", "t", "--gpus", "-1"], ["run", "t", "--gpus", "abc"],
    ["log", "t", "--run", "0"], ["wait", "t", "--timeout", "-1"], ["wait", "t", "--timeout", "nan"],
])
def test_bad_flag_values_are_usage_errors(project: Path, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    assert cli(project, capsys, "gen", write(project, "spec.yaml", "lr: 0.1\n"), "-n", "t")[0] == 0
    code, out, err = cli(project, capsys, *args)
    assert code == 2 and not out
    assert len(err.splitlines()) == 1 and err.startswith("pyr-tui ") and "expected" in err


def log_metrics(project: Path, task: str, *rows: dict[str, object]) -> None:
    """metrics.jsonl as `pr.log` writes it (docs/script-api.md)."""
    path = project / "_pyruns_" / "train" / "tasks" / task / "metrics.jsonl"
    path.write_text("".join(json.dumps({"t": 1.0, "step": i, **row}) + "\n" for i, row in enumerate(rows)))


def test_export_sort_puts_numbers_before_text_in_both_directions(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    defaults = project / "_pyruns_" / "train" / "config_default.yaml"
    defaults.write_text(defaults.read_text() + "tag: x\n")
    spec = write(project, "spec.yaml", "tag: b | 2 | a | 10 | .nan\n")
    assert cli(project, capsys, "gen", spec, "-n", "s")[0] == 0
    for flags, order in ((["--sort", "tag"], [2, 10, "a", "b", None]),
                         (["--sort", "tag", "--desc"], [10, 2, "b", "a", None])):
        code, out, _ = cli(project, capsys, "export", "--json", *flags)
        assert code == 0 and [row["tag"] for row in json.loads(out)] == order, flags


def test_export_best_prefers_the_metric_over_a_parameter_of_that_name(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    defaults = project / "_pyruns_" / "train" / "config_default.yaml"
    defaults.write_text(defaults.read_text() + "acc: 0\n")
    spec = write(project, "spec.yaml", "acc: (1 | 0)\n")
    assert cli(project, capsys, "gen", spec, "-n", "b")[0] == 0
    log_metrics(project, "b_1-of-2", {"acc": 0.5}, {"acc": 0.6})
    log_metrics(project, "b_2-of-2", {"acc": 0.9}, {"acc": 0.7})
    for name in ("b_1-of-2", "b_2-of-2"):  # (only completed tasks compete)
        record_run(project, name, "completed", 0.0)
    code, out, err = cli(project, capsys, "export", "--best", "acc", "--max", "--json")
    assert code == 0, err
    best = json.loads(out)
    assert (best["name"], best["column"], best["value"]) == ("b_2-of-2", "acc.max", 0.9)


def test_integer_metrics_stay_integers_in_every_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(project, capsys, "gen", write(project, "spec.yaml", "seed: 1\n"), "-n", "i")[0] == 0
    log_metrics(project, "i", {"epoch": 3}, {"epoch": 12, "ok": True})
    code, out, _ = cli(project, capsys, "export", "--json")
    row = json.loads(out)[0]
    assert (row["epoch.last"], row["epoch.min"], row["epoch.max"], row["ok.last"]) == (12, 3, 12, 1)
    assert all(type(row[k]) is int for k in ("epoch.last", "epoch.min", "epoch.max", "ok.last"))
    code, out, _ = cli(project, capsys, "export", "-f", "csv")
    header, values = out.splitlines()
    cells = dict(zip(header.split(","), values.split(",")))
    assert (cells["epoch.last"], cells["epoch.min"], cells["epoch.max"]) == ("12", "3", "12")


def test_ls_lists_pinned_tasks_first(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(project, capsys, "gen", write(project, "spec.yaml", "seed: 0:4\n"), "-n", "p")[0] == 0
    assert cli(project, capsys, "pin", "p_3-of-4", "p_2-of-4")[0] == 0
    order = ["p_2-of-4", "p_3-of-4", "p_1-of-4", "p_4-of-4"]
    code, out, _ = cli(project, capsys, "ls", "--json")
    assert [t["name"] for t in json.loads(out)] == order
    code, out, _ = cli(project, capsys, "ls")
    assert [line.split()[1] for line in out.splitlines()[1:]] == order


def test_note_from_stdin_drops_trailing_newlines_when_setting_and_appending(project: Path, capsys: pytest.CaptureFixture[str],
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    assert cli(project, capsys, "gen", write(project, "spec.yaml", "seed: 1\n"), "-n", "n")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("first\n"))
    assert cli(project, capsys, "note", "n", "-")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("second\n\n"))
    assert cli(project, capsys, "note", "n", "-", "-a")[0] == 0
    code, out, _ = cli(project, capsys, "show", "n", "--json")
    assert json.loads(out)["notes"] == "first\nsecond"


@pytest.mark.parametrize("args", [
    ["ls", "-seed:1", "--json"], ["ls", "--json", "name:q_", "-seed:1"], ["ls", "--json", "--", "-seed:1"],
    ["export", "-seed:1", "--json", "--sort", "seed", "--desc"], ["export", "--so", "seed", "-seed:1", "--json", "--des"],
])
def test_negated_query_terms_are_terms_not_flags(project: Path, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    assert cli(project, capsys, "gen", write(project, "spec.yaml", "seed: 0:3\n"), "-n", "q")[0] == 0
    code, out, err = cli(project, capsys, *args)
    assert code == 0, err
    names = [row["name"] for row in json.loads(out)]
    assert sorted(names) == ["q_1-of-3", "q_3-of-3"]


def test_an_option_value_is_never_taken_for_a_negated_term(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(project, capsys, "gen", write(project, "spec.yaml", "seed: 0:3\n"), "-n", "q")[0] == 0
    code, out, _ = cli(project, capsys, "export", "-oops", "-f", "md")
    assert code == 0 and out.count("| q_") == 3 and not (project / "ops").exists()
    assert cli(project, capsys, "ls", "-h")[0] == 0


def test_every_option_of_every_command_is_documented() -> None:
    import argparse

    from pyruns_tui.cli import build_parser
    from tests.conftest import REPO

    docs = "".join(path.read_text() for path in sorted((REPO / "docs").glob("*.md")))
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [
        f"{command} {option}"
        for command, p in [("", parser), *sub.choices.items()]
        for action in p._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help" and not re.search(rf"(?<![\w-]){option}(?![\w-])", docs)
    ]
    assert not missing, f"options missing from docs/*.md: {missing}"


def _gfm_cells(row: str) -> list[str]:
    """The cells of a GitHub table row as rendered: split at unescaped pipes, then `\\|` -> `|`."""
    cells = re.split(r"(?<!\\)\|", row.strip())[1:-1]
    return [cell.strip().replace("\\|", "|") for cell in cells]


def test_the_cheat_sheet_rows_give_what_they_say() -> None:
    import ast

    from pyruns_tui.params import yamlio
    from pyruns_tui.params.grid import expand_grid
    from tests.conftest import REPO

    rows = [_gfm_cells(line) for line in (REPO / "README.md").read_text().splitlines() if line.startswith("| `x: ")]
    assert len(rows) >= 3
    for written, got in rows:
        spec = yamlio.load_text(written.strip("`"), where="README.md")
        expected = ast.literal_eval("[" + got.split(" (")[0] + "]")
        assert [config["x"] for config in expand_grid(spec)] == expected, written
        for escape in re.findall(r"`([^`]+)` escapes one pipe", got):
            assert [config["x"] for config in expand_grid({"x": f"a{escape}b"})] == ["a|b"], escape


def test_an_unknown_settings_key_is_named_with_the_nearest_known_key(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pyruns_tui.workspace.settings import known_keys, load_settings

    settings_file = project / "_pyruns_" / "_pyruns_settings.yaml"
    settings_file.write_text("max_concurency: 2\nstop_grace_s: 1\n")
    code, _, err = cli(project, capsys, "gen", write(project, "spec.yaml", "seed: 1\n"), "--dry-run")
    assert code == 0
    assert err.splitlines() == [f"pyr-tui: warning: {settings_file}: unknown setting 'max_concurency' is ignored "
                                "(did you mean 'max_concurrency'?)"]
    settings = load_settings(settings_file)
    assert settings.max_concurrency == 4 and settings.stop_grace_s == 1 and len(settings.warnings) == 1
    assert "warnings" not in known_keys() and "max_concurrency" in known_keys()


def test_grid_order_follows_the_spec_not_the_defaults(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(project, "spec.yaml", "seed: 1 | 2\nlr: 0.1 | 0.2\n")  # config_default.yaml has lr before seed
    code, out, _ = cli(project, capsys, "gen", spec, "--dry-run", "--json")
    configs = [t["config"] for t in json.loads(out)["tasks"]]
    assert [(c["seed"], c["lr"]) for c in configs] == [(1, 0.1), (1, 0.2), (2, 0.1), (2, 0.2)]  # last field fastest
    assert list(configs[0]) == ["lr", "seed", "opt"]  # each config keeps the form's key order


def test_a_shell_spec_is_laid_over_the_shell_defaults(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(tmp_path), "init", "--shell"]) == 0
    defaults = tmp_path / "_pyruns_" / "_shell_" / "config_default.yaml"
    defaults.write_text("command: python train.py --lr {lr} --seed {seed}\nparams:\n  lr: 0.01 | 0.001\n  seed: 0\n")
    cases = {
        "{}\n": [{"lr": 0.01, "seed": 0}, {"lr": 0.001, "seed": 0}],
        "command: echo {lr}\n": [{"lr": 0.01}, {"lr": 0.001}],
        "params: {seed: 5}\n": [{"lr": 0.01, "seed": 5}, {"lr": 0.001, "seed": 5}],
        "command: echo {bs}\nparams: {bs: 1 | 2}\n": [{"bs": 1}, {"bs": 2}],
    }
    for text, expected in cases.items():
        code, out, err = cli(tmp_path, capsys, "gen", write(tmp_path, "spec.yaml", text), "--dry-run", "--json")
        assert code == 0, (text, err)
        assert [t["config"] for t in json.loads(out)["tasks"]] == expected, text
    assert cli(tmp_path, capsys, "gen", write(tmp_path, "spec.yaml", "params: {seed: 7}\n"), "-n", "sh")[0] == 0
    command = (tmp_path / "_pyruns_" / "_shell_" / "tasks" / "sh_2-of-2" / "config.sh").read_text()
    assert command.strip() == "python train.py --lr 0.001 --seed 7"


def test_a_keyed_term_names_a_metric_when_no_parameter_has_that_name(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs: `key:value` is a parameter, else a metric's last value, in `ls` as in the Manager's search."""
    assert cli(project, capsys, "gen", write(project, "spec.yaml", "lr: 0.1 | 0.2\n"), "-n", "m")[0] == 0
    names = sorted(json.loads(cli(project, capsys, "ls", "--json")[1]), key=lambda t: t["name"])
    log_metrics(project, names[0]["name"], {"loss": 0.9}, {"loss": 0.4})
    log_metrics(project, names[1]["name"], {"loss": 0.4}, {"loss": 0.7})
    code, out, _ = cli(project, capsys, "ls", "--json", "loss:0.4")
    assert code == 0 and [t["name"] for t in json.loads(out)] == [names[0]["name"]]
    code, out, _ = cli(project, capsys, "ls", "--json", "lr:0.2", "-loss:0.4")
    assert code == 0 and [t["name"] for t in json.loads(out)] == [names[1]["name"]]
