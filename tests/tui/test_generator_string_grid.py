"""A grid typed into a declared string's field keeps each item as typed, as its lone value does
(`type=str`: `007` stays '007'): `007 | 7` previewed and created two tasks both named 7."""

from __future__ import annotations

from pathlib import Path

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.bootstrap import init_workspace
from tests.tui.test_generator import ready, row, settled, task_configs, type_keys

SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--run_id", type=str, default="a")
p.add_argument("--lr", type=float, default=0.1)
print(vars(p.parse_args()))
"""


async def test_a_grid_over_a_string_field_previews_and_creates_the_texts_typed(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await type_keys(pilot, row(gen, "run_id"), "007 | 7 | 1e-3")
        assert (await settled(pilot, gen)).startswith("3 tasks")
        assert gen.preview.data is not None
        assert gen.preview.data.rows == (("1", "007"), ("2", "7"), ("3", "1e-3"))
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert sorted(c["run_id"] for c in task_configs(layout).values()) == ["007", "1e-3", "7"]
