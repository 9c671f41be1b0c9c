"""The docs' screenshots are drawn by docs/images/make_images.py from the current app: it still
draws what their captions say, at the size of the images it replaces."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IMAGES = REPO / "docs" / "images"


def draw(name: str, out_dir: Path) -> str:
    done = subprocess.run([sys.executable, str(IMAGES / "make_images.py"), "--out", str(out_dir), name],
                          capture_output=True, text=True, timeout=300, cwd=out_dir)
    assert done.returncode == 0, done.stderr
    return (out_dir / f"{name}.svg").read_text()


def screen_rows(svg: str) -> list[str]:
    """The text of a Rich terminal SVG, row by row (Rich draws a cell 12.2 units wide)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in re.findall(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / 12.2)) + text
        lines.append(line.rstrip())
    return lines


def view_box(svg: str) -> str:
    found = re.search(r'viewBox="([^"]+)"', svg)
    assert found, "no viewBox"
    return found.group(1)


def test_the_generator_image_shows_the_batch_its_caption_names(tmp_path: Path) -> None:
    svg = draw("generator", tmp_path)
    assert "sweep_{1..12}-of-12" in svg and "grid&#160;×3" in svg and "zip&#160;×2" in svg
    assert view_box(svg) == view_box((IMAGES / "generator.svg").read_text())
    assert "(images/generator.svg)" in (REPO / "docs" / "tui.md").read_text()


def test_the_monitor_image_shows_the_log_of_a_demo_task_that_really_ran(tmp_path: Path) -> None:
    svg = draw("monitor", tmp_path)
    rows = screen_rows(svg)
    assert "✔3" in rows[0] and "✔ lr_1-of-3   run1" in rows[1]  # the batch finished, its first task shown
    bars = [row for row in rows if "epoch 12/12: 100%|" in row]
    assert bars and "12/12 [" in bars[0] and "loss=" in bars[0]  # a finished tqdm bar, count to postfix in view
    assert any("WARNING mixed precision" in row for row in rows)
    assert any("INFO    done: best val_acc=" in row for row in rows)  # the log down to its last line
    assert "Export" not in rows[-1] and "Charts" in rows[-1]  # today's footer (export is `x`, not listed)
    assert view_box(svg) == view_box((IMAGES / "monitor.svg").read_text())
    assert "(images/monitor.svg)" in (REPO / "docs" / "tui.md").read_text()
