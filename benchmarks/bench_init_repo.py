"""`pyr-tui init` of a script in a 1,000-file repository (imports followed into the project).

Run: .venv/bin/python benchmarks/bench_init_repo.py   (prints the median of 7 runs; not a test)
Target: < 0.5 s. The project: 20 packages x 50 modules, each package `__init__` star-importing
all of its modules, every module importing three others; the script takes its parser from one
package and a helper that adds arguments from another (what detectron2/timm-style repos look like).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_repo(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'big'\n")
    for p in range(20):
        pkg = root / "big" / f"pkg{p}"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("".join(f"from .mod{m} import *\n" for m in range(50)))
        for m in range(50):
            imports = "".join(f"from big.pkg{(p + k) % 20}.mod{(m + k) % 50} import value_{(m + k) % 50}\n" for k in (1, 2, 3))
            body = f"import torch\n{imports}\nVALUE = {m}\n\ndef value_{m}():\n    return {{'v{m}': {m}}}\n\n" \
                   "class Model:\n    def forward(self, x):\n        return x\n"
            (pkg / f"mod{m}.py").write_text(body)
    (root / "big" / "__init__.py").write_text("")
    (root / "big" / "pkg3" / "mod7.py").write_text(
        "import argparse\n\ndef get_parser():\n    p = argparse.ArgumentParser()\n"
        + "".join(f"    p.add_argument('--opt{i}', type=int, default={i})\n" for i in range(60))
        + "    return p\n\ndef add_extra(p):\n    p.add_argument('--extra', default='x')\n")
    script = root / "tools" / "train.py"
    script.parent.mkdir()
    script.write_text("from big.pkg3.mod7 import get_parser, add_extra\nfrom big.pkg5 import *\n\n"
                      "parser = get_parser()\nadd_extra(parser)\nargs = parser.parse_args()\n")
    return script


def main() -> None:
    from pyruns_tui.params.argparse_ast import extract_params
    from pyruns_tui.workspace.module_files import ModuleFiles

    samples, extraction = [], []
    with tempfile.TemporaryDirectory() as tmp:
        script = make_repo(Path(tmp) / "repo")
        files = sum(1 for _ in (Path(tmp) / "repo").rglob("*.py"))
        for _ in range(7):
            start = time.perf_counter()
            extract_params(script.read_text(), str(script), finder=ModuleFiles(script))
            extraction.append(time.perf_counter() - start)
        for i in range(7):
            work = Path(tmp) / f"w{i}"
            work.mkdir()
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "pyruns_tui", "-C", str(work), "init", str(script)], check=True,
                           capture_output=True)
            samples.append(time.perf_counter() - start)
    print(f"init of a script in a {files}-file repository: median {statistics.median(samples) * 1e3:.0f} ms "
          f"(min {min(samples) * 1e3:.0f}, max {max(samples) * 1e3:.0f}; {len(samples)} runs, whole process); "
          f"extraction alone (imports followed) median {statistics.median(extraction) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
