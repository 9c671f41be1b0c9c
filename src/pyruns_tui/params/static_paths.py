"""File paths as a script computes them, for the static evaluator.

Training scripts often build defaults from their own location: `ROOT = Path(__file__).parent`,
`default=ROOT / "data/coco.yaml"`, `os.path.join(os.path.dirname(__file__), "configs")`, or
relative to where they run: `Path(os.path.relpath(ROOT, Path.cwd()))` (YOLOv5). These are
pure string operations once two facts are known: the file's own absolute path (`__file__`) and
the task's working directory (the project, `run_dir`). Nothing here touches the file system:
`resolve()` normalises without following symlinks (the script's own `__file__` is bound to its
real path already), `exists()` and friends stay unknown.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["NotKnown", "StaticPath", "PATH_TYPES", "PATH_ATTRIBUTES", "DIR_FUNCTIONS", "PathFactory", "DirFunction",
           "plain_paths", "call_path"]

PATH_TYPES = frozenset({"Path", "PurePath", "PosixPath", "PurePosixPath"})


class NotKnown(Exception):
    """Raised where the value needs the running program (the evaluator turns it into Unresolved)."""


@dataclass(frozen=True)
class StaticPath:
    """A `pathlib.Path` value: its text, and the directory relative paths are resolved against."""

    text: str
    run_dir: str | None

    def __str__(self) -> str:
        return self.text

    def __fspath__(self) -> str:
        return self.text

    def __format__(self, spec: str) -> str:
        return format(self.text, spec)

    def _new(self, text: str) -> StaticPath:
        return StaticPath(_norm(text), self.run_dir)

    def __truediv__(self, other: Any) -> StaticPath:
        return self._new(posixpath.join(self.text, _text(other)))

    def __rtruediv__(self, other: Any) -> StaticPath:
        return self._new(posixpath.join(_text(other), self.text))

    @property
    def parent(self) -> StaticPath:
        head = posixpath.dirname(self.text.rstrip("/") or "/")
        return self._new(head or ".")

    @property
    def parents(self) -> tuple[StaticPath, ...]:
        out: list[StaticPath] = []
        current = self
        while current.parent.text != current.text:
            current = current.parent
            out.append(current)
        return tuple(out) if self.text not in (".", "") else ()

    @property
    def name(self) -> str:
        return "" if self.text == "." else posixpath.basename(self.text.rstrip("/"))

    @property
    def suffix(self) -> str:
        return posixpath.splitext(self.name)[1]

    @property
    def stem(self) -> str:
        return posixpath.splitext(self.name)[0]

    @property
    def parts(self) -> tuple[str, ...]:
        head = ("/",) if self.text.startswith("/") else ()
        return head + tuple(p for p in self.text.split("/") if p and p != ".")

    def resolve(self) -> StaticPath:
        return self._new(absolute(self.text, self.run_dir))

    absolute = resolve

    def joinpath(self, *others: Any) -> StaticPath:
        return self._new(posixpath.join(self.text, *(_text(o) for o in others)))

    def with_suffix(self, suffix: str) -> StaticPath:
        return self.with_name(self.stem + suffix)

    def with_name(self, name: str) -> StaticPath:
        return self._new(posixpath.join(posixpath.dirname(self.text), name))

    def as_posix(self) -> str:
        return self.text

    def is_absolute(self) -> bool:
        return self.text.startswith("/")

    def expanduser(self) -> StaticPath:
        if self.text.startswith("~"):
            raise NotKnown("a home directory")
        return self


PATH_ATTRIBUTES = frozenset({"parent", "parents", "name", "suffix", "stem", "parts", "resolve", "absolute",
                             "joinpath", "with_suffix", "with_name", "as_posix", "is_absolute",
                             "expanduser"})


def _text(value: Any) -> str:
    if isinstance(value, StaticPath):
        return value.text
    if isinstance(value, str):
        return value
    raise NotKnown("not a path")


def absolute(text: str, run_dir: str | None) -> str:
    """`text` made absolute against the task's working directory, normalised."""
    if text.startswith("~"):
        raise NotKnown("a home directory")
    if not text.startswith("/"):
        if run_dir is None:
            raise NotKnown("the working directory")
        text = posixpath.join(run_dir, text)
    return posixpath.normpath(text)


def _norm(text: str) -> str:
    """How pathlib spells a path: no trailing or doubled slashes, no `.` parts."""
    if not text:
        return "."
    lead = "/" if text.startswith("/") else ""
    parts = [p for p in text.split("/") if p and p != "."]
    return lead + "/".join(parts) if parts or lead else "."


@dataclass(frozen=True)
class PathFactory:
    """`Path` itself: called to build a path, or its class methods `Path.cwd()`."""

    run_dir: str | None
    name: str = "Path"  # as `type=` shows it

    def build(self, args: list[Any]) -> StaticPath:
        text = posixpath.join(*(_text(a) for a in args)) if args else "."
        return StaticPath(_norm(text), self.run_dir)

    def attribute(self, attr: str) -> DirFunction:
        if attr == "cwd":
            return DirFunction("getcwd", self.run_dir, as_path=True)
        raise NotKnown(attr)


@dataclass(frozen=True)
class DirFunction:
    """An `os`/`os.path` function whose answer depends on the working directory."""

    name: str
    run_dir: str | None
    as_path: bool = False

    def call(self, args: list[Any], kwargs: dict[str, Any]) -> Any:
        texts = [_text(a) for a in args]
        if self.name == "getcwd":
            result = absolute(".", self.run_dir)
        elif self.name in ("abspath", "realpath"):
            result = absolute(texts[0], self.run_dir)
        elif self.name == "relpath":
            start = kwargs.get("start", texts[1] if len(texts) > 1 else ".")
            result = posixpath.relpath(absolute(texts[0], self.run_dir), absolute(_text(start), self.run_dir))
        elif self.name == "normpath":
            result = posixpath.normpath(texts[0])
        elif self.name == "isabs":
            return texts[0].startswith("/")
        elif self.name == "expanduser":
            if texts[0].startswith("~"):
                raise NotKnown("a home directory")
            result = texts[0]
        else:
            raise NotKnown(self.name)
        return StaticPath(_norm(result), self.run_dir) if self.as_path else result


DIR_FUNCTIONS: dict[tuple[str, str], str] = {
    ("os", "getcwd"): "getcwd", ("os.path", "abspath"): "abspath", ("os.path", "realpath"): "realpath",
    ("os.path", "relpath"): "relpath", ("os.path", "normpath"): "normpath", ("os.path", "isabs"): "isabs",
    ("os.path", "expanduser"): "expanduser",
}


def plain_paths(value: Any) -> Any:
    """A default as the form shows it: paths as their text (in lists and dicts too)."""
    if isinstance(value, StaticPath):
        return value.text
    if isinstance(value, (list, tuple)):
        return type(value)(plain_paths(v) for v in value)
    if isinstance(value, dict):
        return {k: plain_paths(v) for k, v in value.items()}
    return value


def call_path(func: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call a path builder or a working-directory function; NotKnown when it needs the program."""
    if isinstance(func, PathFactory):
        return func.build(args)
    if isinstance(func, DirFunction):
        return func.call(args, kwargs)
    method: Callable[..., Any] = func
    return method(*args, **kwargs)

