"""The Generator's Load (ctrl+o) of a nanoGPT-style script lists the project's `config/*.py` files
after its tasks: picking one fills the form with the values it sets over the defaults, as
`pyr-tui gen config/x.py` makes them (one engine step: workspace/config_files.py); a file that
cannot be read without running it is said in one line and the form is left as it was."""

from __future__ import annotations

from pathlib import Path

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.generator.task_picker import TaskPicker
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.cli.helpers import pyr
from tests.cli.test_gen_config_file import nanogpt
from tests.conftest import Shown
from tests.tui.test_generator import defaults, ready, row, settled, task_configs, until


def workspace(tmp_path: Path) -> Layout:
    directory = nanogpt(tmp_path / "nanogpt")
    (directory / "config" / "bad.py").write_text("import time\nwandb_run_name = 'ft'\n")
    (tmp_path / "elsewhere.py").write_text("batch_size = 3\n")
    (directory / "config" / "linked.py").symlink_to(tmp_path / "elsewhere.py")  # listed, then refused when picked
    layout = init_workspace(directory, directory / "train.py")
    TaskStore(layout).create_tasks([NewTask(name="earlier", config={**defaults(layout), "batch_size": 7})],
                                   task_kind="argparse", script=None)
    return layout


async def test_load_lists_the_config_files_after_the_tasks_and_fills_the_form(tmp_path: Path) -> None:
    layout = workspace(tmp_path)
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, TaskPicker))
        picker = app.screen
        assert isinstance(picker, TaskPicker)
        # (config/linked.py, a symlink, is not listed: Load never reads through one)
        assert [item.name for item in picker.shown] == [
            "earlier", "config/bad.py", "config/train_gpt2.py", "config/train_shakespeare_char.py"]
        assert "config file" in picker.title_text
        await pilot.press(*"shakes", "enter")
        await until(pilot, lambda: row(gen, "batch_size").text == "64")
        assert (row(gen, "out_dir").text, row(gen, "learning_rate").text, row(gen, "dropout").text) == \
            ("out-shakespeare-char", "0.001", "0.2")
        assert (await settled(pilot, gen)).startswith("1 task")
        await pilot.press("ctrl+n", *"tui", "ctrl+s")
        await until(pilot, lambda: not gen.creating and gen.last_result is not None)
    # the CLI's task from the same file, in the same workspace: the same values
    assert pyr(layout.project_dir, "gen", "config/train_shakespeare_char.py", "-n", "cli").code == 0
    configs = task_configs(layout)
    assert configs["tui"] == configs["cli"] and configs["tui"]["batch_size"] == 64


async def test_a_config_file_that_cannot_be_read_is_one_line_and_the_form_stays(
        tmp_path: Path, notifications: list[Shown]) -> None:
    layout = workspace(tmp_path)
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await app.workers.wait_for_complete()
        before = gen.form.spec()
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, TaskPicker))
        await pilot.press(*"bad.py", "enter")
        line = ("config/bad.py:1: `import time` is not a `name = value` line; pyr-tui reads config files without "
                "running them: write each value itself, or drop the line")
        await until(pilot, lambda: any(n.message == line for n in notifications))
        assert [n.title for n in notifications if n.message == line] == ["Cannot load config/bad.py"]
        await app.workers.wait_for_complete()
        assert gen.form.spec() == before


async def test_the_load_title_is_whole_at_80_columns(tmp_path: Path) -> None:
    """With config files listed the title grew past the dialog's width at 80 columns and was cut."""
    layout = workspace(tmp_path)
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, TaskPicker))
        await pilot.pause()
        title = app.screen.query_one("#picker-title")
        assert "config file" in app.screen.title_text
        assert len(app.screen.title_text) <= title.content_region.width


async def test_a_name_in_a_notification_is_text_not_markup(tmp_path: Path, notifications: list[Shown]) -> None:
    """A config file (or task) named `[@click=app.quit]x` loaded: its toast said `loaded the config of
    config/x.py` with a click on `x.py` running app.quit (Textual markup read from the name)."""
    layout = workspace(tmp_path)
    (layout.project_dir / "config" / "[@click=app.quit]mine.py").write_text("batch_size = 5\n")
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, TaskPicker))
        await pilot.press(*"mine", "enter")
        await until(pilot, lambda: row(gen, "batch_size").text == "5")
        line = "loaded the config of config/[@click=app.quit]mine.py"
        await until(pilot, lambda: any(n.message == line for n in notifications))
        assert [n.markup for n in notifications if n.message == line] == [False]
