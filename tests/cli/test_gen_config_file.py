"""`pyr-tui gen config/x.py` for a nanoGPT-style script: the config file (read, never run) gives the
task's values over the script's defaults, and the task's run ends with exactly the globals
`python train.py config/x.py` gives (projects/nanogpt_project: nanoGPT's train.py top, its
configurator.py and two of its config files; a real runner runs the tasks). A file that is not plain
assignments of the script's parameters is refused in one line, and nothing is created."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.store import TaskStore
from tests.cli.helpers import pyr
from tests.runner.harness import SETTINGS, Project, finish_project

FIXTURE = Path(__file__).parent.parent / "params" / "projects" / "nanogpt_project"


def nanogpt(directory: Path) -> Path:
    """A copy of the fixture project (its torch stand-in importable from the script's folder)."""
    directory.mkdir()
    for name in ("train.py", "configurator.py"):
        shutil.copy(FIXTURE / name, directory / name)
    shutil.copytree(FIXTURE / "config", directory / "config")
    shutil.copytree(FIXTURE / "stubs" / "torch", directory / "torch")
    (directory / ".git").mkdir()
    return directory


def last_json(output: str) -> dict[str, object]:
    return json.loads([line for line in output.splitlines() if line.strip()][-1])


def real_globals(project: Path, *argv: str) -> dict[str, object]:
    """The config `python train.py ARGV` ends with, run in the project (as nanoGPT's README runs it)."""
    proc = subprocess.run([sys.executable, "train.py", *argv], cwd=project, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return last_json(proc.stdout)


def typed(config: dict[str, object]) -> dict[str, tuple[str, object]]:
    return {key: (type(value).__name__, value) for key, value in config.items()}


def test_a_task_from_a_config_file_runs_as_train_py_with_that_file(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    directory = nanogpt(tmp_path / "nanogpt")
    layout = init_workspace(directory, directory / "train.py")
    layout.settings_file.write_text(SETTINGS)
    monkeypatch.setenv("PYRUNS_TEST_MARKER", str(directory))
    project = Project(directory, layout, TaskStore(layout))  # a real runner, stopped at the end
    try:
        for name in ("train_shakespeare_char", "train_gpt2"):
            assert project.cli("gen", f"config/{name}.py", "-n", name) == 0
        config = project.store.load_config("train_shakespeare_char")
        assert (config["out_dir"], config["batch_size"], config["learning_rate"], config["dropout"]) == \
            ("out-shakespeare-char", 64, 1e-3, 0.2)
        assert project.store.load_config("train_gpt2")["gradient_accumulation_steps"] == 40  # 5 * 8
        assert project.cli("run", "train_shakespeare_char", "train_gpt2", "--wait") == 0
        for name in ("train_shakespeare_char", "train_gpt2"):
            ran = last_json(project.log(name).decode())
            assert typed(ran) == typed(real_globals(directory, f"config/{name}.py")), name
    finally:
        finish_project(project)


@pytest.mark.parametrize(("text", "line"), [
    ("import time\nwandb_run_name = 'ft'\n",
     "config/bad.py:1: `import time` is not a `name = value` line; pyr-tui reads config files without running "
     "them: write each value itself, or drop the line"),
    ("batch_size = 8\nwandb_run_name = 'ft-' + str(time.time())\n",
     "config/bad.py:2: the value of wandb_run_name (`'ft-' + str(time.time())`) cannot be known without running "
     "it; write the value itself (wandb_run_name = ...)"),
    ("batch_size = 8\n\nbacth_size = 16\n",
     "config/bad.py:3: bacth_size is not a parameter of train.py (did you mean 'batch_size'?); fix the name or "
     "remove the line"),
    ("if True:\n    batch_size = 8\n",
     "config/bad.py:1: `if True: batch_size = 8` is not a `name = value` line; pyr-tui reads config files "
     "without running them: write each value itself, or drop the line"),
    ("batch_size = '8'\n", "config/bad.py:1: 'batch_size' expects int, got '8'; fix the value"),
    ("max_iters = 5e3\n", "config/bad.py:1: 'max_iters' expects int, got 5000.0; fix the value"),
    ("device = 0\n", "config/bad.py:1: 'device' expects str, got 0; fix the value"),
    ("wandb_run_name = 'lr=1e-3'\n",
     "config/bad.py:1: 'wandb_run_name': 'lr=1e-3' holds '=', which configurator.py cannot read back (it splits "
     "--key=value at every '='); fix the value"),
    ("batch_size = = 8\n", "config/bad.py:1: not valid Python (invalid syntax); fix the line"),
    # 15 MB of such lines took 2.5 GB and a minute, and made a task: a file this large is another file
    ("batch_size = 8\n" * 80_000,
     "config/bad.py: the config file is over 1 MiB (a nanoGPT config file is a few hundred bytes); is this the "
     "right file?"),
    # the parser's own stack overflows (MemoryError with no text: the line said `as Python ()`)
    ("batch_size = " + "-" * 100_000 + "1\n",
     "config/bad.py: cannot be read as Python (an expression is nested too deeply); is this the right file?"),
    # a lone surrogate: --dry-run passed it, then the task's config.yaml could not be written
    ("wandb_run_name = 'run-\\ud800'\n",
     "config/bad.py:1: 'wandb_run_name' holds '\\ud800', a lone surrogate that is not UTF-8 text; fix the value"),
], ids=["import", "call", "unknown-key", "if", "str-for-int", "float-for-int", "int-for-str", "equals", "syntax",
        "too-large", "nested", "surrogate"])
def test_a_config_file_that_is_not_plain_assignments_is_refused_in_one_line(tmp_path: Path, text: str,
                                                                          line: str) -> None:
    directory = nanogpt(tmp_path / "nanogpt")
    assert pyr(directory, "init", "train.py").code == 0
    (directory / "config" / "bad.py").write_text(text)
    result = pyr(directory, "gen", "config/bad.py")
    assert (result.code, result.out, result.err) == (1, "", f"pyr-tui: error: {line}\n")
    assert not [entry for entry in (directory / "_pyruns_" / "train" / "tasks").iterdir()
                if not entry.name.startswith(".")]
