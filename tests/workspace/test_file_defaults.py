"""The YAML file of defaults a task names (timm's `--config`) is read without ever waiting on it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import environ_without_pyruns

HANG_S = 30  # the read normally ends in well under a second

# FileDefaults reading a FIFO that was a regular file when looked at (os.stat answers for the file
# it replaced): the window between the look and the open, taken deterministically
READ_SWAPPED = """\
import os, sys
from pyruns_tui.errors import GridError
from pyruns_tui.params.param_spec import ParamSpec, ScriptParams
from pyruns_tui.workspace import file_defaults

folder, regular = sys.argv[1], os.stat(sys.argv[2])
looked = os.stat
os.stat = lambda path, *a, **k: regular if str(path).endswith("cfg.yaml") else looked(path, *a, **k)
sp = ScriptParams(kind="argparse", params=(ParamSpec(key="config", type_name="str", default="", defaults_file=True),
                                           ParamSpec(key="epochs", type_name="int", default=3)))
try:
    file_defaults.FileDefaults(sp, folder).values("cfg.yaml")
except GridError as exc:
    print(exc)
"""


def test_a_file_of_defaults_swapped_for_a_fifo_after_the_look_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "cfg.yaml")  # no writer ever comes
    (tmp_path / "plain.yaml").write_text("epochs: 5\n")
    done = subprocess.run([sys.executable, "-c", READ_SWAPPED, str(tmp_path), str(tmp_path / "plain.yaml")],
                          capture_output=True, text=True, timeout=HANG_S, env=environ_without_pyruns())
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "config: cfg.yaml is not a file (the script opens it as its YAML file of defaults)\n"
