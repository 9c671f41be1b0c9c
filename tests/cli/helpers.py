"""Running the real `pyr-tui` command line in tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# a three-parameter argparse script (float, int, choices): what the CLI and TUI checks need
SMALL_SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--opt", choices=["adam", "sgd"], default="adam")
print(vars(p.parse_args()))
"""


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def pyr(cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None,
        timeout: float = 60) -> Result:
    """Run `python -m pyruns_tui ARGS` in `cwd` as a real process."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "pyruns_tui", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, env=full_env, timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)
