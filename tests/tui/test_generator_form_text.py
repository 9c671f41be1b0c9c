"""What the Generator's form says, and where, as a newcomer read it with pytorch/examples' mnist:
the badges (`grid ×2`, `✖`) in one column, whichever row is being edited."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from tests.tui.test_generator import edit, ready, row, type_into

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
