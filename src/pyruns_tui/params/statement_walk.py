"""Statements of a script walked abstractly: bindings, branches, loops, returns, `def` and `class`.

It binds constants and functions in scopes, unrolls loops over known sequences, takes the known
branch of an `if` and merges both branches of an unknown one; nothing of the script is ever run.
Calls of the script's own functions are the layer above (script_walker.py).
"""

from __future__ import annotations

import ast
from typing import Any

from pyruns_tui.params.env_flow import EnvFlowWalker, _dotted
from pyruns_tui.params.script_defs import ClassNS, Function, _Frame
from pyruns_tui.params.script_scan import loop_matters
from pyruns_tui.params.source_files import ModuleFinder, ModuleNS
from pyruns_tui.params.static_values import MAX_ITER, UNKNOWN, ModuleAttr, Scope, Unresolved, is_plain

__all__ = ["StatementWalker"]

MAX_STEPS = 200_000  # statements walked before giving up on a pathological script
SOFT_STEPS = 50_000  # past this, loops are no longer unrolled
MAX_UNROLL = 1_000


class _OutOfSteps(BaseException):
    """The walk budget is spent."""


_MAX_ALTERNATIVES = 4  # plain values a name may have from branches, to say; more are not listed


def _alternatives(name: str, outcomes: list[tuple[dict[str, Any], dict[str, tuple[Any, ...]]]]
                  ) -> tuple[Any, ...] | None:
    """The plain values `name` has in the branches' outcomes (an UNKNOWN one's own alternatives), in
    order, when every outcome binds it to such values and there are a few; else None."""
    found: list[Any] = []
    for names, alternatives in outcomes:
        if name not in names:
            return None
        value = names[name]
        values = alternatives.get(name) if value is UNKNOWN else (value,) if is_plain(value) else None
        if values is None:
            return None
        found.extend(v for v in values if not any(_same(v, seen) and type(v) is type(seen) for seen in found))
    return tuple(found) if 1 < len(found) <= _MAX_ALTERNATIVES else None


def alternatives_text(node: ast.expr | None, scope: Scope) -> str | None:
    """`default_optim is 'adamw_torch' or 'adamw_torch_fused', decided when the script runs` for a name
    that branches pyr-tui cannot decide bind to a few plain values (`Scope.alternatives`); None else."""
    if not isinstance(node, ast.Name):
        return None
    home: Scope | None = scope
    while home is not None and node.id not in home.names:
        home = home.parent
    said = home.alternatives.get(node.id) if home is not None else None
    if said is None:
        return None
    return f"{node.id} is {' or '.join(repr(v) for v in said)}, decided when the script runs"


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    return is_plain(a) and is_plain(b) and type(a) is type(b) and a == b


class StatementWalker(EnvFlowWalker):
    """Walks statements; ScriptWalker adds the calls, subclasses implement the parser hooks at the bottom."""

    def __init__(self, source: str, filename: str, finder: ModuleFinder | None = None) -> None:
        super().__init__(source, filename, finder)
        self.warnings: list[str] = []
        self.attr_bindings: dict[str, Any] = {}
        self.functions: list[Function] = []
        self.frames: list[_Frame] = []
        self.steps = 0
        self.loop_cut = False

    def default_text(self, node: ast.expr, value: Any, scope: Scope) -> str:
        """How a default is said: its source (`os.cpu_count()`), or, for a name that branches pyr-tui
        cannot decide bind to a few plain values, those values (`alternatives_text`: `default_optim is
        'adamw_torch' or 'adamw_torch_fused', decided when the script runs`). The one rule of argparse's
        `default=` and `set_defaults()`, HfArgumentParser fields and configurator globals."""
        said = alternatives_text(node, scope) if value is UNKNOWN else None
        return said or self.segment(node)

    def warn(self, node: ast.AST, text: str) -> None:
        self.warn_at(getattr(node, "lineno", 0), text)

    def warn_at(self, lineno: int, text: str) -> None:
        self.warn_place(f"{self.filename}:{lineno}", text)

    def warn_place(self, place: str, text: str) -> None:
        """A warning starting with `place` (`FILE:LINE`, as `place` gives it)."""
        self.warnings.append(f"{place}: {text}")

    def _mark_unknown(self, target: ast.expr, value: Any, scope: Scope, stmt: ast.stmt) -> None:
        """Remember where a name was bound to a value pyr-tui cannot know (`WORKERS = os.cpu_count()`):
        a default read from it is said at that line (`default_place`)."""
        if value is UNKNOWN and isinstance(target, ast.Name):
            home = scope.home(target.id)
            if home is not None:
                value_node = getattr(stmt, "value", None)
                home.sites[target.id] = self.default_place(value_node, value, scope) if value_node else self.place(stmt)

    def exec_block(self, stmts: list[ast.stmt], scope: Scope) -> bool:
        """Walk statements in order; True when a definite `return` ends the block."""
        outer = self.statement
        try:
            for stmt in stmts:
                self.steps += 1
                if self.steps > MAX_STEPS:
                    raise _OutOfSteps
                self.statement = stmt
                handler = getattr(self, "exec_" + type(stmt).__name__, None)
                if handler is not None and handler(stmt, scope):
                    return True
            return False
        finally:
            self.statement = outer  # (a call's body walked inside a statement: that statement again)

    def exec_Expr(self, stmt: ast.Expr, scope: Scope) -> bool:
        self.try_eval(stmt.value, scope)
        return False

    def exec_Assign(self, stmt: ast.Assign, scope: Scope) -> bool:
        start = len(self.env_log)
        value = self.try_eval(stmt.value, scope)
        for target in stmt.targets:
            self.store(target, value, scope)
            self._mark_unknown(target, value, scope, stmt)
        if self.env_log:
            ids = self.env_since(start)
            for target in stmt.targets:
                self.taint(target, ids, scope)
        return False

    def exec_AnnAssign(self, stmt: ast.AnnAssign, scope: Scope) -> bool:
        if stmt.value is not None:
            start = len(self.env_log)
            value = self.try_eval(stmt.value, scope)
            self.store(stmt.target, value, scope)
            self._mark_unknown(stmt.target, value, scope, stmt)
            if self.env_log:
                self.taint(stmt.target, self.env_since(start), scope)
        return False

    def exec_AugAssign(self, stmt: ast.AugAssign, scope: Scope) -> bool:
        start = len(self.env_log)
        if isinstance(stmt.target, ast.Name):
            expr = ast.BinOp(left=ast.Name(id=stmt.target.id, ctx=ast.Load()), op=stmt.op,
                             right=stmt.value)
            scope.bind(stmt.target.id, self.try_eval(expr, scope))
        else:
            self.store(stmt.target, UNKNOWN, scope)
        if self.env_log:
            self.taint(stmt.target, self.env_since(start), scope)
        return False

    def exec_Delete(self, stmt: ast.Delete, scope: Scope) -> bool:
        for target in stmt.targets:
            if isinstance(target, ast.Subscript) and not self.uncertain:
                try:
                    container = self.eval(target.value, scope)
                    if isinstance(container, (dict, list)):
                        del container[self.eval(target.slice, scope)]
                        continue
                except (Unresolved, LookupError, TypeError):
                    pass
            self.store(target, UNKNOWN, scope)
        return False

    def store(self, target: ast.expr, value: Any, scope: Scope) -> None:
        """Assign to a name, tuple, `obj.attr` (tracked by dotted text) or `container[key]`."""
        if isinstance(target, ast.Attribute):
            dotted = _dotted(target)
            if dotted is not None:
                self.attr_bindings[dotted] = value
        elif isinstance(target, ast.Subscript):
            try:
                container = self.eval(target.value, scope)
                key = self.eval(target.slice, scope)
                if isinstance(container, (dict, list)):
                    container[key] = value
            except (Unresolved, IndexError, TypeError):
                pass
        elif isinstance(target, ast.Starred):
            self.store(target.value, UNKNOWN, scope)
        else:
            self.assign_target(target, value, scope)

    def exec_Global(self, stmt: ast.Global, scope: Scope) -> bool:
        scope.global_names.update(stmt.names)
        return False

    def exec_FunctionDef(self, stmt: ast.FunctionDef, scope: Scope) -> bool:
        closure = scope.parent if getattr(scope, "is_class", False) and scope.parent else scope
        args = stmt.args
        start = len(self.env_log)
        fn = Function(
            node=stmt, scope=closure,
            defaults=[self.try_eval(d, scope) for d in args.defaults],
            kw_defaults=[self.try_eval(d, scope) if d is not None else UNKNOWN
                         for d in args.kw_defaults],
            is_classmethod=any(isinstance(d, ast.Name) and d.id == "classmethod"
                               for d in stmt.decorator_list),
            relevant=id(stmt) in self.relevant_ids, home=self.state)
        fn.default_env = self.env_since(start)
        self.functions.append(fn)
        scope.bind(stmt.name, fn)
        return False

    exec_AsyncFunctionDef = exec_FunctionDef

    def exec_ClassDef(self, stmt: ast.ClassDef, scope: Scope) -> bool:
        bases = [self.try_eval(b, scope) for b in stmt.bases]
        body = Scope(scope)
        body.is_class = True  # type: ignore[attr-defined]
        ns = ClassNS(stmt.name, body, any(
            self.is_parser_factory(b) or isinstance(b, ClassNS) and b.is_parser for b in bases),
            node=stmt, home=self.state, bases=tuple(bases))
        self.exec_block(stmt.body, body)
        scope.bind(stmt.name, ns)
        return False

    def exec_Return(self, stmt: ast.Return, scope: Scope) -> bool:
        value = self.try_eval(stmt.value, scope) if stmt.value is not None else None
        if not self.frames:
            return True
        frame = self.frames[-1]
        if self.uncertain:
            frame.candidates.append(value)
            return False
        frame.result, frame.returned = value, True
        return True

    def exec_If(self, stmt: ast.If, scope: Scope) -> bool:
        start = len(self.env_log)
        try:
            test = bool(self.eval(stmt.test, scope))
        except Unresolved:
            self.control(stmt, start)
            self.exec_branches([stmt.body, stmt.orelse], scope)
            return False
        self.control(stmt, start)
        return self.exec_block(stmt.body if test else stmt.orelse, scope)

    def exec_For(self, stmt: ast.For, scope: Scope) -> bool:
        items: Any = None
        start = len(self.env_log)
        try:
            items = self._iterable(self.eval(stmt.iter, scope))
        except Unresolved:
            pass
        ids = self.env_since(start)
        if ids:
            self.control(stmt, start)
        if items is None or len(items) > MAX_UNROLL or not loop_matters(
                stmt, self.lines, self.relevant_names):
            self.assign_target(stmt.target, UNKNOWN, scope)
            if self.env_log:
                self.taint(stmt.target, ids, scope)
            self.exec_branches([stmt.body], scope)
            return self.exec_block(stmt.orelse, scope)
        for item in list(items)[:MAX_ITER]:
            if self.steps > SOFT_STEPS:
                if not self.loop_cut:
                    self.loop_cut = True
                    self.warn(stmt, "loop too long to follow to the end; arguments it adds "
                                    "later may be missing")
                break
            self.store(stmt.target, item, scope)
            if self.env_log:
                self.taint(stmt.target, ids, scope)
            if self.exec_block(stmt.body, scope):
                return True
        return self.exec_block(stmt.orelse, scope)

    exec_AsyncFor = exec_For

    def exec_While(self, stmt: ast.While, scope: Scope) -> bool:
        self.exec_branches([stmt.body], scope)
        return False

    def exec_With(self, stmt: ast.With, scope: Scope) -> bool:
        for item in stmt.items:
            start = len(self.env_log)
            self.try_eval(item.context_expr, scope)
            if item.optional_vars is not None:
                self.store(item.optional_vars, UNKNOWN, scope)
                if self.env_log:
                    self.taint(item.optional_vars, self.env_since(start), scope)
        return self.exec_block(stmt.body, scope)

    exec_AsyncWith = exec_With

    def exec_Try(self, stmt: ast.Try, scope: Scope) -> bool:
        if self.exec_block(stmt.body, scope) or self.exec_block(stmt.orelse, scope):
            return True
        if stmt.handlers:
            self.exec_branches([h.body for h in stmt.handlers], scope)
        return self.exec_block(stmt.finalbody, scope)

    exec_TryStar = exec_Try

    def exec_Match(self, stmt: Any, scope: Scope) -> bool:
        start = len(self.env_log)
        self.try_eval(stmt.subject, scope)
        self.control(stmt, start)
        self.exec_branches([case.body for case in stmt.cases], scope)
        return False

    def exec_branches(self, branches: list[list[ast.stmt]], scope: Scope) -> None:
        """Walk branches of which maybe none runs; names they disagree on become UNKNOWN (the plain
        values they had kept in `scope.alternatives`, to say, at the statement that decides them:
        `scope.sites`, the outer `if` of nested ones)."""
        decider = self.statement
        before, before_alternatives = dict(scope.names), dict(scope.alternatives)
        outcomes = [(before, before_alternatives)]
        self.uncertain += 1
        try:
            for body in branches:
                scope.names, scope.alternatives = dict(before), dict(before_alternatives)
                self.exec_block(body, scope)
                outcomes.append((scope.names, scope.alternatives))
        finally:
            self.uncertain -= 1
        merged: dict[str, Any] = {}
        alternatives: dict[str, tuple[Any, ...]] = {}
        for name in dict.fromkeys(n for outcome, _ in outcomes for n in outcome):
            values = [o[name] for o, _ in outcomes if name in o]
            if all(_same(values[0], v) for v in values):
                merged[name] = values[0]
                if name in before_alternatives and values[0] is UNKNOWN:
                    alternatives[name] = before_alternatives[name]
            else:
                objects = [v for v in values if not is_plain(v) and v is not UNKNOWN]
                merged[name] = objects[-1] if objects else UNKNOWN
                said = None if objects else _alternatives(name, outcomes)
                if said is not None:
                    alternatives[name] = said
                    if decider is not None:
                        scope.sites[name] = self.place(decider)
        scope.names, scope.alternatives = merged, alternatives

    def eval_Name(self, node: ast.Name, scope: Scope) -> Any:
        if node.id in self.env_names:
            self._log_name(node.id, scope)
        try:
            return self.resolve(super().eval_Name(node, scope))
        except Unresolved:
            if self.finder is None:
                raise
            return self.star_lookup(scope, node.id)

    def eval_Attribute(self, node: ast.Attribute, scope: Scope) -> Any:
        dotted = _dotted(node)
        if dotted is not None and self.attr_env and dotted in self.attr_env:
            self.env_log.extend(self.attr_env[dotted])
        if dotted is not None and dotted in self.attr_bindings:
            return self.attr_bindings[dotted]
        return super().eval_Attribute(node, scope)

    def attribute(self, base: Any, attr: str) -> Any:
        base = self.resolve(base)
        if isinstance(base, ModuleNS):
            return self.module_attribute(base, attr)
        if base == ModuleAttr("os", "environ") and attr == "get":
            return ModuleAttr("os.environ", "get")
        if isinstance(base, ClassNS):
            try:
                return base.scope.names[attr]
            except KeyError:
                raise Unresolved(attr) from None
        return super().attribute(base, attr)

    def is_parser_factory(self, func: Any) -> bool:
        """Whether calling `func` creates a parser."""
        return False

    def is_parser_object(self, value: Any) -> bool:
        """Whether `value` is a parser-like object whose methods `parser_method` handles."""
        return False

    def new_parser(self, node: ast.Call, args: list[Any], kwargs: dict[str, Any], factory: Any) -> Any:
        """The parser `factory(*args, **kwargs)` creates."""
        raise Unresolved("no parsers")

    def orphan_parser(self, name: str, node: ast.Call, missing: tuple[str, str] | None = None) -> Any:
        raise Unresolved("no parsers")

    def parser_method(self, obj: Any, attr: str, node: ast.Call, scope: Scope) -> Any:
        raise Unresolved(attr)
