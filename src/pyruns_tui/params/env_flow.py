"""Where values read from the environment go while a script is walked (`os.getenv`: ModuleWalker).

A name (or `obj.attr`, or a container) bound from one carries its reads (`Scope.env`), a function's
parameters carry those of its call's arguments, and whatever is evaluated logs the reads of
the values it uses (`env_log`). Reads logged while a parser's method runs, or by the test of
an `if`/`for`/`match` whose body touches a parser, feed the parser (`env_fed`); others (yolov5's
`RANK = int(os.getenv("RANK", -1))` for its training loop) do not.
"""

from __future__ import annotations

import ast
from typing import Any

from pyruns_tui.params.module_walk import ModuleWalker
from pyruns_tui.params.script_scan import touches_parser
from pyruns_tui.params.source_files import ModuleFinder
from pyruns_tui.params.static_values import Scope

_NO_ENV: frozenset[int] = frozenset()


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class EnvFlowWalker(ModuleWalker):
    """The layer of the script walk that carries environment reads through names, attributes,
    containers and the tests that decide what touches a parser (the statements: StatementWalker)."""

    def __init__(self, source: str, filename: str, finder: ModuleFinder | None = None) -> None:
        super().__init__(source, filename, finder)
        self.env_names: set[str] = set()  # names that ever carried an environment read (Scope.env)
        self.touching: dict[int, bool] = {}  # id(node) -> touches_parser (nodes of every file read stay alive)

    def env_since(self, start: int) -> frozenset[int]:
        """The environment reads logged since `start` (a position in env_log)."""
        return frozenset(self.env_log[start:]) if len(self.env_log) > start else _NO_ENV

    def taint(self, target: ast.expr, ids: frozenset[int], scope: Scope) -> None:
        """Remember that what `target` now holds came from the environment reads `ids` (none: a
        name bound again for sure forgets its old ones; a container keeps them)."""
        if isinstance(target, ast.Name):
            home = scope
            if target.id in scope.global_names:
                while home.parent is not None:
                    home = home.parent
            if ids:
                home.env[target.id] = ids
                self.env_names.add(target.id)
            elif home.env and not self.uncertain:
                home.env.pop(target.id, None)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self.taint(elt, ids, scope)
        elif isinstance(target, ast.Starred):
            self.taint(target.value, ids, scope)
        elif isinstance(target, ast.Attribute):
            dotted = _dotted(target)
            if dotted is not None and ids:
                self.attr_env[dotted] = ids
            elif dotted is not None and not self.uncertain:
                self.attr_env.pop(dotted, None)
        elif isinstance(target, ast.Subscript) and ids:
            self.taint_container(target.value, ids, scope)

    def taint_container(self, node: ast.expr, ids: frozenset[int], scope: Scope) -> None:
        """`d[k] = v`, `d.update(v)`: the container (a name or `obj.attr`) also holds these reads."""
        while isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted is not None:
                self.attr_env[dotted] = self.attr_env.get(dotted, _NO_ENV) | ids
            return
        if not isinstance(node, ast.Name):
            return
        home: Scope | None = scope
        while home is not None and node.id not in home.names:
            home = home.parent
        home = home or scope
        home.env[node.id] = home.env.get(node.id, _NO_ENV) | ids
        self.env_names.add(node.id)

    def control(self, node: ast.AST, start: int) -> None:
        """The environment reads logged since `start` by a test or loop sequence feed the parser
        when what it decides (the statement or expression `node`) can touch one."""
        if len(self.env_log) <= start:
            return
        touches = self.touching.get(id(node))
        if touches is None:  # (a loop's body is walked again and again: its text is scanned once)
            touches = self.touching[id(node)] = touches_parser(node, self.lines, self.relevant_names)
        if touches:
            self.env_fed.update(self.env_log[start:])

    def _log_name(self, name: str, scope: Scope) -> None:
        """Log the environment reads the value of `name` came from, where it is bound."""
        home: Scope | None = scope
        while home is not None:
            if name in home.names:
                ids = home.env.get(name)
                if ids:
                    self.env_log.extend(ids)
                return
            home = home.parent

    def eval_IfExp(self, node: ast.IfExp, scope: Scope) -> Any:
        start = len(self.env_log)
        try:
            test = self.eval(node.test, scope)
        finally:
            self.control(node, start)
        return self.eval(node.body if test else node.orelse, scope)

    def eval_ListComp(self, node: ast.ListComp, scope: Scope) -> Any:
        start = len(self.env_log)
        try:
            return super().eval_ListComp(node, scope)
        finally:
            self.control(node, start)

    eval_GeneratorExp = eval_ListComp

    def eval_DictComp(self, node: ast.DictComp, scope: Scope) -> Any:
        start = len(self.env_log)
        try:
            return super().eval_DictComp(node, scope)
        finally:
            self.control(node, start)
