"""The truth for parameter tests: each test script's REAL argparse parser, run in a subprocess."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

SCRIPTS = Path(__file__).parent / "scripts"


def real_namespaces(script: str | Path, argvs: list[list[str]], parses: int = 1,
                    env: dict[str, str] | None = None, cwd: Path | None = None) -> list[dict[str, Any]]:
    """Run the script's real parser on each argv (in a subprocess) -> probe results.

    `parses`: how many top-level parse calls make the script's parameters (2 for a `--config`
    pre-pass); `env` replaces the environment (e.g. PYTHONPATH for an installed package); `cwd`
    is the working directory (a task's: the project)."""
    proc = subprocess.run(
        [sys.executable, str(SCRIPTS / "_probe.py"), str(SCRIPTS / script), str(parses)],
        input=json.dumps(argvs), capture_output=True, text=True, timeout=60, check=True, env=env, cwd=cwd)
    return json.loads(proc.stdout)


def strict_equal(a: Any, b: Any) -> bool:
    """Equality that also requires equal types (True != 1, 1 != 1.0), recursively; NaN == NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)
