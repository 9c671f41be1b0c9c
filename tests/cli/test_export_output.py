"""`pyr-tui export -o FILE`: the file's extension names the format; one naming none is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyruns_tui.cli import main
from tests.cli.helpers import pyr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
    (tmp_path / "train.yaml").write_text("lr: 0.1\n")
    assert main(["-C", str(tmp_path), "init", "train.py"]) == 0
    assert pyr(tmp_path, "gen", "-", "-n", "only", stdin="lr: 0.1\n").code == 0
    return tmp_path


def test_an_extension_export_does_not_write_is_refused_and_nothing_written(project: Path) -> None:
    # CSV was written into out.xlsx, which a spreadsheet then refused to open
    for name in ("out.xlsx", "out.txt", "runs.csv.gz"):
        refused = pyr(project, "export", "-o", name)
        assert (refused.code, refused.out) == (2, ""), name
        suffix = Path(name).suffix
        assert refused.err == (f"pyr-tui: error: -o {name}: export writes csv, json, md files (.csv, .json, .md, "
                               f".markdown), not {suffix}: name the file with one of these, or give "
                               "-f csv|json|md to write that format into it\n")
        assert not (project / name).exists()


def test_known_extensions_none_and_an_explicit_format_still_write(project: Path) -> None:
    for args, start in ((("-o", "out.CSV"), "name,"), (("-o", "out.markdown"), "| name"), (("-o", "out"), "name,"),
                        (("-o", "out.txt", "-f", "json"), "["), (("-o", "out.tsv", "-f", "csv"), "name,")):
        done = pyr(project, "export", *args)
        assert done.code == 0, (args, done.err)
        assert (project / args[1]).read_text().startswith(start), args
