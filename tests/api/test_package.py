"""`import pyruns_tui`: the public names, the version, and an import that stays light."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyruns_tui

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("textual", "rich", "yaml", "ruamel", "psutil", "pynvml", "json", "threading", "typing")


def test_the_public_api_is_exported() -> None:
    for name in ("load", "log", "summary", "add_monitor", "flush", "Config", "__version__"):
        assert hasattr(pyruns_tui, name), name


def test_the_version_matches_pyproject() -> None:
    # (not tomllib: Python 3.10, which we support, has none)
    project = (REPO / "pyproject.toml").read_text().split("\n[project]\n", 1)[1].split("\n[", 1)[0]
    versions = re.findall(r'^version\s*=\s*"([^"]+)"$', project, re.MULTILINE)
    assert versions == [pyruns_tui.__version__]


def test_importing_the_package_pulls_in_nothing_heavy() -> None:
    code = (
        "import sys; before = set(sys.modules); import pyruns_tui; "
        "new = set(sys.modules) - before; "
        "print(' '.join(sorted(new)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = result.stdout.split()
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY]
    assert heavy == []
    own = {m for m in loaded if m.startswith("pyruns_tui")}
    assert own == {"pyruns_tui", "pyruns_tui.contracts", "pyruns_tui.script", "pyruns_tui.script.api",
                   "pyruns_tui.script.config"}
