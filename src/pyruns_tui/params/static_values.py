"""The values a static reading of a script computes with, and their bounds: UNKNOWN (a name bound
to something unknowable), ModuleRef/ModuleAttr (a module, a name of one), `Unresolved` (what
needs the running program), a Scope of bound names, plain data (`is_plain`, `has_text`), and the
size checks that keep a hostile expression from exhausting memory or time.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pyruns_tui.params.static_paths import StaticPath

__all__ = ["MAX_ITER", "MAX_LEN", "UNKNOWN", "ModuleAttr", "ModuleRef", "Scope", "Unresolved", "bounded_list", "has_text",
           "is_plain"]

MAX_LEN = 100_000  # longest str/list an expression may build
MAX_INT_BITS = 100_000
MAX_ITER = 100_000
MAX_TOTAL = 1_000_000  # characters and items a value may hold in all (shared parts counted each time)


class Unresolved(Exception):
    """An expression whose value cannot be known without running the script."""


class _Unknown:
    """The value of a name bound to something unknowable (e.g. `x = os.environ["X"]`)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class ModuleRef:
    """An imported module, by dotted name (`import os.path as p` -> ModuleRef("os.path"))."""

    name: str


@dataclass(frozen=True)
class ModuleAttr:
    """A name taken from a module that is not a plain constant (`argparse.ArgumentParser`)."""

    module: str
    attr: str


_HUGE_WIDTH = re.compile(r"\d{5,}")  # a format width this long would build a huge string
_STAR_WIDTH = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d*\.\*)")  # `%*s`, `%.*f`: a width from the values
_WIDE = 10_000  # a width or precision taken from the values from here up is refused, as _HUGE_WIDTH's 5 digits


def _wide_argument(values: Any) -> bool:
    """Whether `values` (the right of `%`, the arguments of `.format`) hold, at any depth, an int or a
    text of digits that, as a width or precision taken from them, would build a huge string."""
    stack = [values]
    while stack:
        item = stack.pop()
        if isinstance(item, int) and abs(item) >= _WIDE or isinstance(item, str) and _HUGE_WIDTH.search(item):
            return True
        if isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


def _guard_nested_widths(template: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Refuse `template.format(...)` when a nested field takes a huge width or precision from the
    arguments: `'{:{}}'.format('a', 10**9)` (the template's own digits are _HUGE_WIDTH's)."""
    import string

    if "{" in template and any(spec and "{" in spec for _, _, spec, _ in string.Formatter().parse(template)) \
            and _wide_argument([*args, *kwargs.values()]):
        raise Unresolved("format width too large")


_PLAIN_SCALARS = (type(None), bool, int, float, str)


def is_plain(value: Any) -> bool:
    """Whether `value` is plain data (None/bool/int/float/str, lists/tuples, str-keyed dicts)."""
    if isinstance(value, _PLAIN_SCALARS):
        return True
    if isinstance(value, (list, tuple)):
        return all(is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    return False


def has_text(values: Any) -> bool:
    """Whether `values` can be made text as the script would: not when they hold an object of this
    reader (a parser, a module, a function of the script), whose text would be the reader's."""
    stack = [values]
    while stack:
        item = stack.pop()
        if item is UNKNOWN:
            return False
        if isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif type(item).__module__.startswith("pyruns_tui.") and not isinstance(item, StaticPath):
            return False
    return True


def _check_text(values: Any) -> None:
    if not has_text(values):
        raise Unresolved("an object has no text statically")


def _check_size(value: Any) -> Any:
    """Return `value`, or raise Unresolved when it is too big to be a sensible default."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise Unresolved("integer too large")
    elif isinstance(value, (str, bytes, list, tuple, dict, range)) and len(value) > MAX_LEN:
        raise Unresolved("value too large")
    elif isinstance(value, (list, tuple, dict)) and _too_big(value):
        raise Unresolved("value too large in all")  # [A] * 100_000 of a 100 kB A: 10 GB once joined
    if value is UNKNOWN:
        raise Unresolved("unknown value")
    return value


def _too_big(value: Any) -> bool:
    """Whether `value` holds more than MAX_TOTAL characters and items (stops as soon as it does)."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, (list, tuple)):
            total += len(item)
            stack.extend(item)
        elif isinstance(item, dict):
            total += len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += 1
        if total > MAX_TOTAL:
            return True
    return False


def bounded_list(values: Iterable[Any], what: str) -> list[Any]:
    """`values` as a list; Unresolved(`what` too long) past MAX_LEN items, before building more."""
    out = []
    for value in values:
        out.append(value)
        if len(out) > MAX_LEN:
            raise Unresolved(f"{what} too long")
    return out


def _materialize(value: Any) -> Any:
    """Iterators/views (zip, enumerate, dict.items()) as lists, bounded in length."""
    if isinstance(value, (zip, enumerate, reversed, type({}.keys()), type({}.values()),
                          type({}.items()))):
        return bounded_list(value, "sequence")
    return value


def _guard_binop(op: type, left: Any, right: Any) -> None:
    """Refuse operations whose result would be huge before computing them."""
    ints = isinstance(left, int) and isinstance(right, int)
    if op is ast.Pow and ints and right > 0 and max(left.bit_length(), 1) * right > MAX_INT_BITS:
        raise Unresolved("power too large")
    if op is ast.LShift and ints and right > MAX_INT_BITS:
        raise Unresolved("shift too large")
    if op is ast.Mult:
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) \
                    and len(seq) * max(n, 0) > MAX_LEN:
                raise Unresolved("repetition too large")
    if op is ast.Mod and isinstance(left, str):
        if _HUGE_WIDTH.search(left):
            raise Unresolved("format width too large")
        if _STAR_WIDTH.search(left) and _wide_argument(right):
            raise Unresolved("format width too large")


class Scope:
    """Names bound in one scope (module, function call, class body), chained to its parent."""

    def __init__(self, parent: Scope | None = None) -> None:
        self.names: dict[str, Any] = {}
        self.parent = parent
        self.global_names: set[str] = set()
        self.stars: list[str] = []  # modules `from m import *` named here (a module scope)
        self.env: dict[str, frozenset[int]] = {}  # name -> environment reads its value came from (ScriptWalker)
        # name -> the plain values branches gave it, when it is UNKNOWN because they disagree (`default_optim`:
        # 'adamw_torch', or 'adamw_torch_fused' under `if is_torch_available():`): said, never used as its value
        self.alternatives: dict[str, tuple[Any, ...]] = {}
        self.sites: dict[str, str] = {}  # name -> `FILE:LINE` of the expression it was bound UNKNOWN from

    def home(self, name: str) -> Scope | None:
        """The scope of the chain that binds `name`, None when none does."""
        scope: Scope | None = self
        while scope is not None and name not in scope.names:
            scope = scope.parent
        return scope

    def lookup(self, name: str) -> Any:
        """The bound value; KeyError when no scope in the chain binds `name`."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        raise KeyError(name)

    def bind(self, name: str, value: Any) -> None:
        """Bind `name` here, or in the module scope after a `global` statement."""
        target = self
        if name in self.global_names:
            while target.parent is not None:
                target = target.parent
        target.names[name] = value
        target.alternatives.pop(name, None)
        target.sites.pop(name, None)
