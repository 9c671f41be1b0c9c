"""What the Generator's form says, and where, as a newcomer read it with pytorch/examples' mnist
and nanoGPT: the badges (`grid ×2`, `✖`) in one column, whichever row is being edited; the name
prefix's placeholder within its field; the hint of a form without fields, true for the script's
kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import Input, Static

from pyruns_tui.params.grid import expand_grid
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.bootstrap import init_workspace, plain_script_problem
from pyruns_tui.workspace.layout import Layout
from tests.conftest import DEMO
from tests.scripts import CONFIGURATOR
from tests.tui.test_generator import edit, ready, row, settled, type_into, until

# the parameters of pytorch/examples' mnist/main.py that the tour met (a flat form, no groups)
MNIST = """import argparse
parser = argparse.ArgumentParser(description='PyTorch MNIST Example')
parser.add_argument('--epochs', type=int, default=14, metavar='N', help='number of epochs to train (default: 14)')
parser.add_argument('--lr', type=float, default=1.0, metavar='LR', help='learning rate (default: 1.0)')
parser.add_argument('--dry-run', action='store_true', help='quickly check a single pass')
parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                    help='how many batches to wait before logging training status')
args = parser.parse_args()
"""


@pytest.fixture
def demo(tmp_path: Path) -> Layout:
    return init_workspace(tmp_path, DEMO / "train.py")


@pytest.fixture
def mnist(tmp_path: Path) -> Layout:
    (tmp_path / "main.py").write_text(MNIST)
    return init_workspace(tmp_path, tmp_path / "main.py")


def screen_lines(app: PyrunsApp) -> list[str]:
    """The screen as text, one line per row of cells."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def line_of(app: PyrunsApp, label: str) -> str:
    return next(line for line in screen_lines(app) if line.strip().startswith(label + " "))


def badge_end(line: str, badge: str) -> int:
    """The column just after `badge` on a line of the screen."""
    return line.index(badge) + cell_len(badge)


@pytest.mark.parametrize("width", [80, 120])
async def test_badges_line_up_whether_a_row_is_edited_or_at_rest(mnist: Layout, width: int) -> None:
    # at 120 columns the edited row's `grid ×2` stood one column right of the others' (its Label
    # lost a cell to its margin in the grid's `auto` column)
    app = PyrunsApp(mnist, watch_disk=False)
    async with app.run_test(size=(width, 30)) as pilot:
        gen = await ready(pilot)
        await type_into(pilot, row(gen, "lr"), "0.5 | 0.1")
        await type_into(pilot, row(gen, "log_interval"), "10 | 100")
        await type_into(pilot, row(gen, "epochs"), "x")
        for edited in ("lr", "epochs"):
            await edit(pilot, row(gen, edited))
            await pilot.pause()
            ends = {badge_end(line_of(app, key), badge)
                    for key, badge in (("lr", "grid ×2"), ("log_interval", "grid ×2"), ("epochs", "✖"))}
            assert len(ends) == 1, f"{edited} edited: the badges end in columns {sorted(ends)}"


async def test_the_name_prefix_placeholder_fits(demo: Layout) -> None:
    # at 120 columns it read `prefix (empty: the creation` (the preview takes 2/5 of the width)
    for width in (60, 80, 100, 120):
        app = PyrunsApp(demo, watch_disk=False)
        async with app.run_test(size=(width, 30)) as pilot:
            gen = await ready(pilot)
            prefix = gen.query_one("#gen-prefix", Input)
            await until(pilot, lambda: cell_len(prefix.placeholder) <= prefix.content_size.width)
            assert "creation time" in prefix.placeholder
            if width in (80, 120):
                assert prefix.placeholder.startswith("prefix (empty: ")


def empty_form_hint(app: PyrunsApp) -> str:
    return str(app.screen.query_one("#gen-form .form-empty", Static).render())


async def test_an_empty_form_of_a_plain_script_points_to_load_or_a_shell_workspace(tmp_path: Path) -> None:
    # nanoGPT's train.py reads its own configurator: values added in YAML mode never reach it
    (tmp_path / "train.py").write_text("batch_size = 12\nexec(open('configurator.py').read())\n")
    app = PyrunsApp(init_workspace(tmp_path, tmp_path / "train.py"), watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        hint = empty_form_hint(app)
        assert hint == plain_script_problem(str(tmp_path / "train.py"))
        assert "pyruns_tui.load()" in hint and "pyr-tui --shell" in hint and "YAML mode" not in hint


async def test_create_from_yaml_keys_of_a_plain_script_warns_they_do_not_reach_it(tmp_path: Path) -> None:
    # `pyr-tui gen` warned; Create in YAML mode made the same identical runs without a word
    (tmp_path / "train.py").write_text("batch_size = 12\nexec(open('configurator.py').read())\n")
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await pilot.press("ctrl+y")
        gen.yaml_editor.load_text("batch_size: 32 | 64\n")
        assert (await settled(pilot, gen)).startswith("2 tasks")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not gen.creating and gen.last_result is not None)
        assert gen.last_result is not None and len(gen.last_result.names) == 2
        notes = [note.message for note in app._notifications]
        assert plain_script_problem(str(tmp_path / "train.py")) in notes, notes


async def test_an_empty_form_of_an_argparse_script_offers_no_yaml_keys(tmp_path: Path) -> None:
    # its parser declares nothing: a key added in YAML mode is refused, as `gen` refuses it
    (tmp_path / "t.py").write_text("import argparse\nargparse.ArgumentParser().parse_args()\n")
    app = PyrunsApp(init_workspace(tmp_path, tmp_path / "t.py"), watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert "declares no arguments" in empty_form_hint(app)



async def test_a_text_default_holding_a_newline_is_one_row_with_its_escape(tmp_path: Path) -> None:
    # nanoGPT's sample.py, `start = "\n"`: the row drew a quote, a line break and a quote, over its help
    (tmp_path / "sample.py").write_text(
        'start = "\\n" # or "<|endoftext|>" or etc.\nnum_samples = 10 # number of samples to draw\n'
        "exec(open('configurator.py').read())\n")
    (tmp_path / "configurator.py").write_text(CONFIGURATOR)
    app = PyrunsApp(init_workspace(tmp_path, tmp_path / "sample.py"), watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        lines = [line.strip() for line in screen_lines(app)]
        at = lines.index(next(line for line in lines if line.startswith("start ")))
        assert lines[at].split() == ["start", '"\\n"']
        assert lines[at + 1].startswith('or "<|endoftext|>"') and lines[at + 2].startswith("num_samples")
        await edit(pilot, row(gen, "start"))
        await pilot.press("tab")  # through the field and on: the value is the script's own still
        assert (await settled(pilot, gen)).startswith("1 task")
        spec, problems = gen.current_spec()
        assert expand_grid({"start": spec["start"]}) == [{"start": "\n"}] and not problems
