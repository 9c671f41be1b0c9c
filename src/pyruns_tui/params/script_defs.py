"""The script's own `def`s and `class`es as the walk binds them, and the frame of one call of a
`def` (its return value). A ClassNS's `class` statement and bases are where a dataclass's fields
are read from (params/hf_dataclasses.py).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from pyruns_tui.params.module_walk import FileState
from pyruns_tui.params.static_values import UNKNOWN, Scope, Unresolved

__all__ = ["ClassNS", "Function"]


@dataclass(eq=False)
class Function:
    """A `def` of the script, with its defining scope and evaluated parameter defaults."""

    node: ast.FunctionDef | ast.AsyncFunctionDef
    scope: Scope
    defaults: list[Any]
    kw_defaults: list[Any]
    is_classmethod: bool = False
    relevant: bool = False
    home: FileState | None = None  # the file it is defined in
    statements: int = -1  # statements in its body, counted when first needed
    default_env: frozenset[int] = frozenset()  # environment reads its parameter defaults came from


def _argspec(fn: Any) -> tuple[Any, ...]:
    """`inspect.getfullargspec(fn)` of a function of the script or its project, from its `def`
    (guided-diffusion keeps the defaults a model function takes: `getfullargspec(f)[0]`)."""
    if not isinstance(fn, Function):
        raise Unresolved("argspec of an unknown function")
    a = fn.node.args
    names = [x.arg for x in (*a.posonlyargs, *a.args)]
    return (names, a.vararg and a.vararg.arg, a.kwarg and a.kwarg.arg, UNKNOWN,
            [x.arg for x in a.kwonlyargs], UNKNOWN, UNKNOWN)


@dataclass(eq=False)
class ClassNS:
    """A `class` of the script: its body's names (constants, methods), its `class` statement and
    bases (a dataclass's fields are read from them: params/hf_dataclasses.py)."""

    name: str
    scope: Scope
    is_parser: bool = False
    node: ast.ClassDef | None = None
    home: FileState | None = None  # the file it is defined in
    bases: tuple[Any, ...] = ()


@dataclass
class _Frame:
    """One call of a script function: its definite return value and uncertain candidates."""

    result: Any = None
    returned: bool = False
    candidates: list[Any] = field(default_factory=list)
    node: ast.AST | None = None  # the function's def


def _statement_count(fn: Function) -> int:
    """Statements in a function, or a huge number for one with `while`, `with` or `try`: a helper
    worth walking for its value builds a dict or a constant, it does not work."""
    if fn.statements < 0:
        nodes = list(ast.walk(fn.node))
        busy = any(isinstance(n, (ast.While, ast.With, ast.AsyncWith, ast.Try)) for n in nodes)
        fn.statements = 1 << 30 if busy else sum(isinstance(n, ast.stmt) for n in nodes)
    return fn.statements
