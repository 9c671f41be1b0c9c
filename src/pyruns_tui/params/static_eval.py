"""A static evaluator for Python expressions of literals and known constants.

It computes what a script's constant expressions (`LR * 2`, `int(1e6)`, `f"{NAME}-run"`,
`os.path.join(ROOT, "data")`) evaluate to, from the AST alone: nothing is imported or run.
Whatever needs the running program (environment, files, calls of unknown functions, objects)
raises `Unresolved`. Sizes are bounded so a hostile expression cannot exhaust memory or time
(the values it computes with, and their bounds: static_values.py).
"""

from __future__ import annotations

import ast
import math
import operator
import os.path
import sys
from typing import Any, Callable, Iterator

from pyruns_tui.params.static_paths import (
    DIR_FUNCTIONS,
    PATH_ATTRIBUTES,
    PATH_TYPES,
    DirFunction,
    NotKnown,
    PathFactory,
    StaticPath,
    call_path,
)
from pyruns_tui.params.static_values import (
    _HUGE_WIDTH,
    MAX_ITER,
    MAX_LEN,
    UNKNOWN,
    ModuleAttr,
    ModuleRef,
    Scope,
    Unresolved,
    _check_size,
    _check_text,
    _guard_binop,
    _guard_nested_widths,
    _materialize,
    bounded_list,
)

__all__ = ["StaticEvaluator", "ARGPARSE_CONSTANTS"]

ARGPARSE_CONSTANTS: dict[str, str] = {
    "SUPPRESS": "==SUPPRESS==", "OPTIONAL": "?", "ZERO_OR_MORE": "*", "ONE_OR_MORE": "+",
    "PARSER": "A...", "REMAINDER": "...",
}
_MATH_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf, "nan": math.nan}
_MODULE_FUNCTIONS: dict[tuple[str, str], Callable[..., Any]] = {
    ("os.path", "join"): os.path.join, ("os.path", "basename"): os.path.basename,
    ("os.path", "dirname"): os.path.dirname, ("os.path", "splitext"): os.path.splitext,
    ("math", "sqrt"): math.sqrt, ("math", "log"): math.log, ("math", "log2"): math.log2,
    ("math", "log10"): math.log10, ("math", "exp"): math.exp, ("math", "floor"): math.floor,
    ("math", "ceil"): math.ceil, ("math", "pow"): math.pow,
    ("os", "getuid"): os.getuid,  # the user running init is, as a rule, the one running its tasks
}
_MODULE_CONSTANTS: dict[tuple[str, str], Any] = {
    ("sys", "platform"): sys.platform, ("os", "sep"): "/", ("os.path", "sep"): "/",
}
_SAFE_BUILTINS: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (int, float, str, bool, len, min, max, round, abs, sum, sorted, list,
                           tuple, dict, range, zip, enumerate, reversed, repr, any, all, divmod,
                           pow, chr, ord, hex, oct, bin, format, hash)
}
_HASH_STABLE = (type(None), bool, int, float)  # str hashes differ per process (PYTHONHASHSEED)
_SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset("lower upper strip lstrip rstrip split rsplit join replace format startswith "
                   "endswith title capitalize casefold splitlines partition rpartition count "
                   "find index isdigit removeprefix removesuffix".split()),
    dict: frozenset({"get", "keys", "values", "items", "copy"}),
    list: frozenset({"index", "count", "copy"}),
    tuple: frozenset({"index", "count"}),
}
_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
    ast.BitOr: operator.or_, ast.BitAnd: operator.and_, ast.BitXor: operator.xor,
}
_UNARYOPS: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_,
    ast.Invert: operator.invert,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_TEXT_FUNCTIONS = frozenset({"str", "repr", "ascii", "format"})


class StaticEvaluator:
    """Evaluates expression nodes against a Scope; subclasses add calls with side effects."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.run_dir: str | None = None  # the task's working directory: `Path.cwd()`, relative paths
        self._lines = [line.encode("utf-8", "surrogatepass")
                       for line in source.splitlines(keepends=True)]

    def segment(self, node: ast.AST) -> str:
        """The source text of `node` (unparsed when its position is unknown)."""
        try:
            first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
            start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
            if first == last:
                chunk = self._lines[first][start:end]
            else:
                chunk = b"".join([self._lines[first][start:], *self._lines[first + 1:last],
                                  self._lines[last][:end]])
            return chunk.decode("utf-8", "replace")
        except (AttributeError, IndexError, TypeError):
            return ast.unparse(node)

    def eval(self, node: ast.expr, scope: Scope) -> Any:
        """The value of `node`; raises Unresolved when it cannot be known statically."""
        method = getattr(self, "eval_" + type(node).__name__, None)
        if method is None:
            raise Unresolved(type(node).__name__)
        try:
            return _check_size(method(node, scope))
        except Unresolved:
            raise
        except RecursionError:
            raise Unresolved("nested too deeply") from None
        except Exception as exc:  # an operation that fails at run time fails here too
            raise Unresolved(str(exc)) from None

    def try_eval(self, node: ast.expr | None, scope: Scope) -> Any:
        """`eval`, or UNKNOWN when the value cannot be known (side effects still happen)."""
        if node is None:
            return None
        try:
            return self.eval(node, scope)
        except Unresolved:
            return UNKNOWN

    def eval_Constant(self, node: ast.Constant, scope: Scope) -> Any:
        if node.value is Ellipsis:
            raise Unresolved("...")
        return node.value

    def eval_Name(self, node: ast.Name, scope: Scope) -> Any:
        try:
            return scope.lookup(node.id)
        except KeyError:
            if node.id in _SAFE_BUILTINS:
                return _SAFE_BUILTINS[node.id]
            raise Unresolved(node.id) from None

    def eval_Attribute(self, node: ast.Attribute, scope: Scope) -> Any:
        base = self.eval(node.value, scope)
        return self.attribute(base, node.attr)

    def attribute(self, base: Any, attr: str) -> Any:
        """`base.attr` for module references and whitelisted methods of plain values."""
        if isinstance(base, ModuleRef):
            if base.name == "argparse":
                return ARGPARSE_CONSTANTS.get(attr, ModuleAttr("argparse", attr))
            if base.name == "math" and attr in _MATH_CONSTANTS:
                return _MATH_CONSTANTS[attr]
            if base.name == "os" and attr == "path":
                return ModuleRef("os.path")
            if base.name == "pathlib" and attr in PATH_TYPES:
                return PathFactory(self.run_dir, attr)
            if (base.name, attr) in DIR_FUNCTIONS:
                return DirFunction(DIR_FUNCTIONS[(base.name, attr)], self.run_dir)
            if (base.name, attr) in _MODULE_CONSTANTS:
                return _MODULE_CONSTANTS[(base.name, attr)]
            if (base.name, attr) in _MODULE_FUNCTIONS:
                return _MODULE_FUNCTIONS[(base.name, attr)]
            return ModuleAttr(base.name, attr)
        try:
            if isinstance(base, PathFactory):
                return base.attribute(attr)
            if isinstance(base, StaticPath) and attr in PATH_ATTRIBUTES:
                return getattr(base, attr)
        except NotKnown as exc:
            raise Unresolved(str(exc)) from None
        allowed = _SAFE_METHODS.get(type(base))
        if allowed is not None and attr in allowed:
            return getattr(base, attr)
        raise Unresolved(attr)

    def eval_BinOp(self, node: ast.BinOp, scope: Scope) -> Any:
        left, right = self.eval(node.left, scope), self.eval(node.right, scope)
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise Unresolved("operator")
        _guard_binop(type(node.op), left, right)
        if isinstance(node.op, ast.Mod) and isinstance(left, str):
            _check_text(right)
        return op(left, right)

    def eval_UnaryOp(self, node: ast.UnaryOp, scope: Scope) -> Any:
        return _UNARYOPS[type(node.op)](self.eval(node.operand, scope))

    def eval_BoolOp(self, node: ast.BoolOp, scope: Scope) -> Any:
        value: Any = None
        for item in node.values:
            value = self.eval(item, scope)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def eval_Compare(self, node: ast.Compare, scope: Scope) -> Any:
        left = self.eval(node.left, scope)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator, scope)
            if not _CMPOPS[type(op)](left, right):
                return False
            left = right
        return True

    def eval_IfExp(self, node: ast.IfExp, scope: Scope) -> Any:
        branch = node.body if self.eval(node.test, scope) else node.orelse
        return self.eval(branch, scope)

    def eval_JoinedStr(self, node: ast.JoinedStr, scope: Scope) -> Any:
        parts = [self.eval(value, scope) for value in node.values]
        return "".join(str(part) for part in parts)

    def eval_FormattedValue(self, node: ast.FormattedValue, scope: Scope) -> Any:
        value = self.eval(node.value, scope)
        _check_text(value)
        if node.conversion == ord("r"):
            value = repr(value)
        elif node.conversion == ord("s"):
            value = str(value)
        elif node.conversion == ord("a"):
            value = ascii(value)
        spec = self.eval(node.format_spec, scope) if node.format_spec else ""
        if _HUGE_WIDTH.search(spec):
            raise Unresolved("format width too large")
        return format(value, spec)

    def _elements(self, nodes: list[ast.expr], scope: Scope) -> list[Any]:
        out: list[Any] = []
        for item in nodes:
            if isinstance(item, ast.Starred):
                out.extend(self._iterable(self.eval(item.value, scope)))
            else:
                out.append(self.eval(item, scope))
        return out

    def eval_List(self, node: ast.List, scope: Scope) -> Any:
        return self._elements(node.elts, scope)

    def eval_Tuple(self, node: ast.Tuple, scope: Scope) -> Any:
        return tuple(self._elements(node.elts, scope))

    def eval_Dict(self, node: ast.Dict, scope: Scope) -> Any:
        out: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values):
            if key is None:
                out.update(self.eval(value, scope))
            else:
                out[self.eval(key, scope)] = self.eval(value, scope)
        return out

    def eval_Subscript(self, node: ast.Subscript, scope: Scope) -> Any:
        return self.eval(node.value, scope)[self.eval(node.slice, scope)]

    def eval_Slice(self, node: ast.Slice, scope: Scope) -> Any:
        parts = (self.try_none(node.lower, scope), self.try_none(node.upper, scope),
                 self.try_none(node.step, scope))
        return slice(*parts)

    def try_none(self, node: ast.expr | None, scope: Scope) -> Any:
        return None if node is None else self.eval(node, scope)

    def eval_NamedExpr(self, node: ast.NamedExpr, scope: Scope) -> Any:
        value = self.eval(node.value, scope)
        scope.bind(node.target.id, value)
        return value

    def _iterable(self, value: Any) -> Any:
        """A bounded concrete sequence to iterate over (strings, lists, ranges, dicts)."""
        value = _materialize(value)
        if not isinstance(value, (str, list, tuple, dict, range)) or len(value) > MAX_ITER:
            raise Unresolved("not a known sequence")
        return value

    def comprehension_scopes(self, generators: list[ast.comprehension],
                             scope: Scope) -> Iterator[Scope]:
        """One child scope per iteration of a comprehension's `for ... if ...` clauses."""
        if not generators:
            yield scope
            return
        first, rest = generators[0], generators[1:]
        for item in self._iterable(self.eval(first.iter, scope)):
            inner = Scope(scope)
            self.assign_target(first.target, item, inner)
            if all(self.eval(cond, inner) for cond in first.ifs):
                yield from self.comprehension_scopes(rest, inner)

    def eval_ListComp(self, node: ast.ListComp, scope: Scope) -> Any:
        return bounded_list((self.eval(node.elt, s) for s in self.comprehension_scopes(node.generators, scope)),
                            "comprehension")

    eval_GeneratorExp = eval_ListComp

    def eval_DictComp(self, node: ast.DictComp, scope: Scope) -> Any:
        pairs = bounded_list(((self.eval(node.key, s), self.eval(node.value, s))
                             for s in self.comprehension_scopes(node.generators, scope)), "comprehension")
        return dict(pairs)

    def assign_target(self, target: ast.expr, value: Any, scope: Scope) -> None:
        """Bind a Name/Tuple/List target; unpackable values bind every name to UNKNOWN."""
        if isinstance(target, ast.Name):
            scope.bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items: Any = None
            if value is not UNKNOWN:
                try:
                    items = list(self._iterable(value))
                except Unresolved:
                    items = None
            if items is None or len(items) != len(target.elts) \
                    or any(isinstance(e, ast.Starred) for e in target.elts):
                for elt in target.elts:
                    self.assign_target(elt.value if isinstance(elt, ast.Starred) else elt,
                                       UNKNOWN, scope)
                return
            for elt, item in zip(target.elts, items):
                self.assign_target(elt, item, scope)

    def eval_Call(self, node: ast.Call, scope: Scope) -> Any:
        func = self.eval(node.func, scope)
        args, kwargs = self.strict_args(node, scope)
        return self.apply(func, args, kwargs)

    def strict_args(self, node: ast.Call, scope: Scope) -> tuple[list[Any], dict[str, Any]]:
        """Positional and keyword argument values; Unresolved if any is unknown."""
        args = self._elements(node.args, scope)
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            value = self.eval(kw.value, scope)
            if kw.arg is None:
                kwargs.update(value)
            else:
                kwargs[kw.arg] = value
        return args, kwargs

    def lenient_args(self, node: ast.Call, scope: Scope) -> tuple[list[Any], dict[str, Any]]:
        """Argument values with UNKNOWN for unknown ones (each evaluated once, in order)."""
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                value = self.try_eval(arg.value, scope)
                if isinstance(value, (list, tuple)):
                    args.extend(value)
                else:
                    args.append(UNKNOWN)
            else:
                args.append(self.try_eval(arg, scope))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            value = self.try_eval(kw.value, scope)
            if kw.arg is not None:
                kwargs[kw.arg] = value
            elif isinstance(value, dict):
                kwargs.update({str(k): v for k, v in value.items()})
        return args, kwargs

    def apply(self, func: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Call a whitelisted pure function or method on known values."""
        if isinstance(func, (PathFactory, DirFunction)) or isinstance(getattr(func, "__self__", None), StaticPath):
            try:
                return call_path(func, args, kwargs)
            except (NotKnown, TypeError, ValueError) as exc:
                raise Unresolved(str(exc)) from None
        name = getattr(func, "__name__", "")
        is_builtin = _SAFE_BUILTINS.get(name) is func
        is_module_fn = func in _MODULE_FUNCTIONS.values()
        owner = getattr(func, "__self__", None)
        is_method = type(owner) in _SAFE_METHODS and name in _SAFE_METHODS[type(owner)]
        if not (is_builtin or is_module_fn or is_method):
            raise Unresolved("unknown function")
        args = [_materialize(a) for a in args]
        for arg in list(args) + list(kwargs.values()):
            if isinstance(arg, (str, list, tuple, dict, range)) and len(arg) > MAX_LEN:
                raise Unresolved("argument too large")
        if (is_builtin and name in _TEXT_FUNCTIONS) or (is_method and name == "format" and isinstance(owner, str)):
            _check_text([args, kwargs])
        if is_method and name == "format" and isinstance(owner, str):
            _guard_nested_widths(owner, args, kwargs)
        if is_method and name in {"replace", "join", "format"} and isinstance(owner, str):
            budget = len(owner) * (1 + sum(len(a) for a in args if isinstance(a, str)))
            if budget > MAX_LEN * 10 or _HUGE_WIDTH.search(owner):
                raise Unresolved("result too large")
        if is_builtin and name == "hash" and not all(isinstance(a, _HASH_STABLE) for a in args):
            raise Unresolved("hash of a value that differs per process")
        if is_builtin and name == "pow":
            _guard_binop(ast.Pow, *args[:2])
        if is_builtin and name == "format" and len(args) > 1 and _HUGE_WIDTH.search(str(args[1])):
            raise Unresolved("format width too large")
        return _materialize(func(*args, **kwargs))
