"""Resource bombs in a script read by `init`: tiny sources whose defaults would build gigabytes
are left unresolved (the static evaluator bounds the total size of every value), under a hard
memory limit so a regression fails instead of swapping."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.harness import cli_env

MEMORY_LIMIT = 1 << 30  # 1 GiB of address space; the probe's script took 3.9 GB
PEAK_KB = 300_000  # init of a small script stays far below; a bomb that is evaluated reaches the limit
INIT = ("import resource, sys\nfrom pyruns_tui.cli import main\ncode = main(['init', 'train.py'])\n"
        "sys.stderr.write('MAXRSS=%d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\nsys.exit(code)\n")

BOMBS = {
    "join": 'A = "x" * 100000; B = [A] * 100000; D = "".join(B)',
    "inline_join": 'A = "x" * 100000; D = "-".join([A] * 100000)',
    "fstring": 'A = "x" * 100000; B = [A] * 100000; D = f"{B}"',
    "str": 'A = "x" * 100000; B = [A] * 100000; D = str(B)',
    "repr": 'A = "x" * 100000; B = (A,) * 100000; D = repr(B)',
    "percent": 'A = "x" * 100000; B = [A] * 100000; D = "%s" % (B,)',
    "format": 'A = "x" * 100000; B = [A] * 100000; D = "{}".format(B)',
    "nested": 'A = "x" * 100000; B = [[A] * 1000] * 1000; D = str(B)',
    "dict": 'A = "x" * 100000; B = {"k": [A] * 100000}; D = str(B)',
    "replace": 'A = "x" * 100000; D = A.replace("x", A)',
    # a width taken from the values: the template has no digits of its own (the 5-digit check)
    "percent_star": 'D = "%*s" % (400_000_000, "x")',
    "percent_star_precision": 'D = "%.*f" % (400_000_000, 1.0)',
    "format_nested": 'D = "{:{}}".format("x", 400_000_000)',
    "format_nested_text": 'D = "{:>{w}}".format("x", w="400000000")',
}


def _init(proj: Path) -> subprocess.CompletedProcess[bytes]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run([sys.executable, "-c", INIT], cwd=proj, capture_output=True,
                          env=cli_env(proj / "home"), timeout=120, preexec_fn=limit)


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_default_that_would_build_gigabytes_stays_unresolved(tmp_path: Path, name: str) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "train.py").write_text(
        f"import argparse\n{BOMBS[name]}\np = argparse.ArgumentParser()\n"
        "p.add_argument('--d', default=D)\np.add_argument('--ok', default='fine')\np.parse_args()\n")
    done = _init(tmp_path)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    peak = int(done.stderr.decode().rsplit("MAXRSS=", 1)[1].split()[0])
    assert peak < PEAK_KB, f"init peaked at {peak} kB"
    text = (tmp_path / "_pyruns_" / "train" / "config_default.yaml").read_text()
    assert "# unresolved default" in text.split("ok:")[0] and "ok: fine" in text
