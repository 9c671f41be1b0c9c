"""The docs' screenshots are made by scripts from the current app (docs/images/make_*.py): they still run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_generator_screenshot_script_draws_the_batch_the_caption_names(tmp_path: Path) -> None:
    out = tmp_path / "generator.svg"
    done = subprocess.run([sys.executable, str(REPO / "docs" / "images" / "make_generator_svg.py"), str(out)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    svg = out.read_text()
    assert "sweep_{1..12}-of-12" in svg and "grid&#160;×3" in svg and "zip&#160;×2" in svg
    assert "(images/generator.svg)" in (REPO / "docs" / "tui.md").read_text()
