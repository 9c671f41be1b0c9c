"""Finding the source files of the modules a script imports, for static extraction.

Nothing is imported or run: a module is located by walking path entries the way Python's
path finder would (package folders, `__init__.py`, namespace folders, `name.py`), and read as
text. The script's own project comes first (its folder, the project root: the nearest folder
upwards with pyproject.toml, setup.py (not a package's module of that name), setup.cfg or .git,
and its `src/`), then the installed
packages of this interpreter and of an activated virtualenv/conda environment. The standard
library is never read (the extractor knows the parts of it that matter).
"""

from __future__ import annotations

import glob
import os
import stat
import sys
from pathlib import Path

from pyruns_tui.params.source_files import SourceFile

__all__ = ["ModuleFiles", "project_root_of"]

_ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
MAX_FILE_BYTES = 2_000_000
_STDLIB = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)


def project_root_of(script: Path) -> Path:
    """The nearest folder above `script` that marks a project root, else the script's folder.
    A `setup.py` inside a package (a folder with `__init__.py`) is one of its modules, not a
    project's setup script: dinov2's `dinov2/eval/setup.py` beside the `linear.py` importing
    `dinov2.eval.setup`, whose project root is two folders up."""
    folder = script.resolve().parent
    for candidate in (folder, *folder.parents):
        package = os.path.lexists(candidate / "__init__.py")
        if any(os.path.lexists(candidate / marker) for marker in _ROOT_MARKERS if not (package and marker == "setup.py")):
            return candidate
    return folder


def _environment_site_packages() -> list[str]:
    """site-packages of an activated virtualenv or conda environment (the user's script
    usually runs there, even when pyr-tui itself was installed elsewhere)."""
    found: list[str] = []
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        prefix = os.environ.get(var)
        if prefix:
            found.extend(sorted(glob.glob(os.path.join(glob.escape(prefix), "lib", "python3*", "site-packages"))))
    return found


class ModuleFiles:
    """A ModuleFinder for one script: dotted name -> SourceFile (or None)."""

    def __init__(self, script: Path) -> None:
        script = script.resolve()
        self.project = project_root_of(script)
        local = [script.parent, self.project, self.project / "src"]
        self.local_roots = list(dict.fromkeys(str(p) for p in local if p.is_dir()))
        stdlib_dirs = {os.path.dirname(os.__file__)}
        installed = [*_environment_site_packages(), *sys.path]
        self.installed_roots = [
            p for p in dict.fromkeys(os.path.abspath(p) for p in installed if p)
            if os.path.isdir(p) and p not in self.local_roots and p not in stdlib_dirs
            and not p.endswith(".zip")
        ]

    def __call__(self, name: str) -> SourceFile | None:
        parts = name.split(".")
        if not all(part.isidentifier() for part in parts) or parts[0] in _STDLIB:
            return None
        for root in (*self.local_roots, *self.installed_roots):
            found = self._find_in(root, parts)
            if found is not None:
                return found
        return None

    def _find_in(self, root: str, parts: list[str]) -> SourceFile | None:
        base = os.path.join(root, *parts)
        name = ".".join(parts)
        for path, package in ((os.path.join(base, "__init__.py"), name), (base + ".py", name.rpartition(".")[0])):
            source = _read_regular(path)
            if source is not None:
                return SourceFile(name, path, source, package, self._is_local(path))
        if (len(parts) > 1 or root in self.local_roots) and os.path.isdir(base) and not os.path.islink(base):
            return SourceFile(name, base, "", name, self._is_local(base))  # a namespace package
        return None

    def _is_local(self, path: str) -> bool:
        return any(path.startswith(root + os.sep) for root in self.local_roots) and "site-packages" not in path


def _read_regular(path: str) -> str | None:
    """The text of a regular file of sensible size; None for anything else (FIFOs never block)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
