"""A statement walker that executes a module's AST abstractly, for static extraction.

It binds constants and functions in scopes, follows calls of the script's own functions
(arguments bound, return value kept), unrolls loops over known sequences, takes the known
branch of an `if` and merges both branches of an unknown one. Calls on objects a subclass
recognises (argparse parsers) go to `parser_method`; nothing of the script is ever run.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field
from typing import Any

from pyruns_tui.params.module_walk import ENV_READERS, FileState, LazyImport, ModuleWalker
from pyruns_tui.params.script_scan import called_names, loop_matters, relevant_functions, touches_parser
from pyruns_tui.params.source_files import ModuleFinder, ModuleNS
from pyruns_tui.params.static_eval import MAX_ITER, MAX_LEN, UNKNOWN, ModuleAttr, ModuleRef, Scope, Unresolved, is_plain

__all__ = ["ScriptWalker", "Function", "ClassNS"]

MAX_STEPS = 200_000  # statements walked before giving up on a pathological script
SOFT_STEPS = 50_000  # past this, loops are no longer unrolled
MAX_DEPTH = 40  # nested calls of the script's own functions
MAX_CALLS = 5_000  # calls of the script's own functions followed in all
MAX_UNROLL = 1_000
_HARMLESS_CALLS = {"print", "repr", "str", "id", "type", "vars", "isinstance", "getattr",
                   "hasattr", "logging.info", "logging.debug", "logger.info", "logger.debug"}
_MUTATORS: dict[type, frozenset[str]] = {dict: frozenset({"update", "setdefault"}),
                                         list: frozenset({"append", "extend"})}
MAX_VALUE_FUNCTION_STATEMENTS = 40  # a helper this small is walked for the value it returns
MAX_VALUE_CALLS = 200
MAX_WALKS_WITHOUT_PARSER = 8  # walks of one function given no parser
_BUILDER_NAME = re.compile(r"(?i)pars|arg|opt|flag|default|conf|cfg|setting|param")
_ORPHAN_METHODS = {"add_argument", "add_argument_group", "add_mutually_exclusive_group",
                   "set_defaults", "add_subparsers", "parse_args", "parse_known_args",
                   "parse_intermixed_args", "parse_known_intermixed_args"}


class _OutOfSteps(BaseException):
    """The walk budget is spent."""


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


def _statement_count(fn: Function) -> int:
    """Statements in a function, or a huge number for one with `while`, `with` or `try`: a helper
    worth walking for its value builds a dict or a constant, it does not work."""
    if fn.statements < 0:
        nodes = list(ast.walk(fn.node))
        busy = any(isinstance(n, (ast.While, ast.With, ast.AsyncWith, ast.Try)) for n in nodes)
        fn.statements = 1 << 30 if busy else sum(isinstance(n, ast.stmt) for n in nodes)
    return fn.statements


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    return is_plain(a) and is_plain(b) and type(a) is type(b) and a == b


_NO_ENV: frozenset[int] = frozenset()


class ScriptWalker(ModuleWalker):
    """Walks statements; subclasses implement the parser hooks at the bottom.

    It also follows where values read from the environment go (`os.getenv`, ModuleWalker): a name
    (or `obj.attr`, or a container) bound from one carries its reads (`Scope.env`), a function's
    parameters carry those of its call's arguments, and whatever is evaluated logs the reads of
    the values it uses (`env_log`). Reads logged while a parser's method runs, or by the test of
    an `if`/`for`/`match` whose body touches a parser, feed the parser (`env_fed`); others (yolov5's
    `RANK = int(os.getenv("RANK", -1))` for its training loop) do not."""

    def __init__(self, source: str, filename: str, finder: ModuleFinder | None = None) -> None:
        super().__init__(source, filename, finder)
        self.warnings: list[str] = []
        self.attr_bindings: dict[str, Any] = {}
        self.functions: list[Function] = []
        self.visited: set[int] = set()
        self.frames: list[_Frame] = []
        self.steps = 0
        self.loop_cut = False
        self.calls = 0
        self.value_calls = 0
        self.walks: dict[int, int] = {}
        self.values: dict[tuple[int, str, str], Any] = {}
        self.value_env: dict[tuple[int, str, str], frozenset[int]] = {}  # the environment reads behind a kept value
        self.script_path: str | None = None  # the script's absolute path, its `__file__`
        self.env_names: set[str] = set()  # names that ever carried an environment read (Scope.env)
        self.touching: dict[int, bool] = {}  # id(node) -> touches_parser (nodes of every file read stay alive)
        self.module_scope: Scope | None = None  # the script's globals, once `run` has walked it

    def warn(self, node: ast.AST, text: str) -> None:
        self.warn_at(getattr(node, "lineno", 0), text)

    def warn_at(self, lineno: int, text: str) -> None:
        self.warnings.append(f"{self.filename}:{lineno}: {text}")

    def run(self, tree: ast.Module) -> None:
        """Walk the module as `__main__`, then every relevant function never reached."""
        module = Scope()
        module.names["__name__"] = "__main__"
        self.module_scope = module
        if self.script_path is not None:
            module.names["__file__"] = self.script_path
        self.lines = self.source.splitlines()
        self.relevant_ids, self.relevant_names = relevant_functions(tree, self.lines)
        self.state = main_file = self._current_state(None)
        main_file.tree = tree
        called = called_names(self.source)
        try:
            self.exec_block(tree.body, module)
            # callers first, so a helper sees the parser its caller passes it
            for callers_only in (True, False):
                pending = True
                while pending:
                    pending = False
                    for fn in list(self.functions):  # the script's own: a module's run only when called
                        if fn.relevant and id(fn) not in self.visited and fn.home is main_file \
                                and not (callers_only and fn.node.name in called):
                            pending = True
                            self.call_function(fn, [], {}, fn.node)
        except _OutOfSteps:
            self.warn_at(0, "script too large to read completely; some arguments may be missing")

    def exec_block(self, stmts: list[ast.stmt], scope: Scope) -> bool:
        """Walk statements in order; True when a definite `return` ends the block."""
        for stmt in stmts:
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise _OutOfSteps
            handler = getattr(self, "exec_" + type(stmt).__name__, None)
            if handler is not None and handler(stmt, scope):
                return True
        return False

    def exec_Expr(self, stmt: ast.Expr, scope: Scope) -> bool:
        self.try_eval(stmt.value, scope)
        return False

    def exec_Assign(self, stmt: ast.Assign, scope: Scope) -> bool:
        start = len(self.env_log)
        value = self.try_eval(stmt.value, scope)
        for target in stmt.targets:
            self.store(target, value, scope)
        if self.env_log:
            ids = self.env_since(start)
            for target in stmt.targets:
                self.taint(target, ids, scope)
        return False

    def exec_AnnAssign(self, stmt: ast.AnnAssign, scope: Scope) -> bool:
        if stmt.value is not None:
            start = len(self.env_log)
            self.store(stmt.target, self.try_eval(stmt.value, scope), scope)
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
        """Walk branches of which maybe none runs; names they disagree on become UNKNOWN."""
        before = dict(scope.names)
        outcomes = [before]
        self.uncertain += 1
        try:
            for body in branches:
                scope.names = dict(before)
                self.exec_block(body, scope)
                outcomes.append(scope.names)
        finally:
            self.uncertain -= 1
        merged: dict[str, Any] = {}
        for name in dict.fromkeys(n for outcome in outcomes for n in outcome):
            values = [o[name] for o in outcomes if name in o]
            if all(_same(values[0], v) for v in values):
                merged[name] = values[0]
            else:
                objects = [v for v in values if not is_plain(v) and v is not UNKNOWN]
                merged[name] = objects[-1] if objects else UNKNOWN
        scope.names = merged

    def eval_Name(self, node: ast.Name, scope: Scope) -> Any:
        if node.id in self.env_names:
            self._log_name(node.id, scope)
        try:
            return self.resolve(super().eval_Name(node, scope))
        except Unresolved:
            if self.finder is None:
                raise
            return self.star_lookup(scope, node.id)

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

    def eval_Attribute(self, node: ast.Attribute, scope: Scope) -> Any:
        dotted = _dotted(node)
        if dotted is not None and self.attr_env and dotted in self.attr_env:
            self.env_log.extend(self.attr_env[dotted])
        if dotted is not None and dotted in self.attr_bindings:
            return self.attr_bindings[dotted]
        return super().eval_Attribute(node, scope)

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

    def eval_Call(self, node: ast.Call, scope: Scope) -> Any:
        func_node = node.func
        if isinstance(func_node, ast.Attribute):
            receiver = self.try_eval(func_node.value, scope)
            if receiver is UNKNOWN and func_node.attr in _ORPHAN_METHODS:
                receiver = self._orphan(func_node.value, scope, node)
            if self.is_parser_object(receiver):
                start = len(self.env_log)
                try:
                    return self.parser_method(receiver, func_node.attr, node, scope)
                finally:
                    self.env_fed.update(self.env_log[start:])
            if isinstance(receiver, (dict, list)) and func_node.attr in _MUTATORS[type(receiver)]:
                start = len(self.env_log)
                try:
                    return self._mutate(receiver, func_node.attr, node, scope)
                finally:
                    if len(self.env_log) > start:
                        self.taint_container(func_node.value, self.env_since(start), scope)
            try:
                func = UNKNOWN if receiver is UNKNOWN else self._callee(receiver, func_node.attr)
            except Unresolved:
                func = UNKNOWN
        elif isinstance(func_node, ast.Name):
            try:
                func = self._callee(None, func_node.id, scope)
            except Unresolved:
                func = UNKNOWN
        else:
            func = self.try_eval(func_node, scope)
        if isinstance(func, LazyImport):
            if not self._worth_reading(func, node, scope):
                self.lenient_args(node, scope)
                raise Unresolved("a call into a module not read")
            func = self.resolve(func)
        if isinstance(func, ModuleAttr) and (func.module, func.attr) in ENV_READERS:
            return self._read_environment(node, scope)
        if func == ModuleAttr("inspect", "getfullargspec"):
            return _argspec(self.eval(node.args[0], scope) if node.args else UNKNOWN)
        if isinstance(func, ModuleAttr):
            func = self._installed_function(func, node, scope)
        if self.is_parser_factory(func) or isinstance(func, ClassNS) and func.is_parser:
            start = len(self.env_log)
            args, kwargs = self.lenient_args(node, scope)
            self.env_fed.update(self.env_log[start:])
            return self.new_parser(node, args, kwargs, func)
        if isinstance(func, Function):
            start = len(self.env_log)
            args, kwargs = self.lenient_args(node, scope)
            env = self.env_since(start)
            given_parser = any(self.is_parser_object(v) for v in [*args, *kwargs.values()])
            if func.relevant and not given_parser:
                self.walks[id(func)] = walks = self.walks.get(id(func), 0) + 1
                if walks > MAX_WALKS_WITHOUT_PARSER:  # a loop calling a big function: more walks add nothing
                    raise Unresolved("walked often enough")
            if func.relevant or given_parser:
                if func.is_classmethod and isinstance(func_node, ast.Attribute):
                    args = [self.try_eval(func_node.value, scope), *args]
                return self._call_noted(func, args, kwargs, node, env)
            return self._value_of_call(func, args, kwargs, node)
        if func is UNKNOWN or isinstance(func, (ClassNS, ModuleAttr, ModuleRef)):
            args, kwargs = self.lenient_args(node, scope)
            passed = [v for v in [*args, *kwargs.values()] if self.is_parser_object(v)]
            name = self.segment(func_node)
            if passed and name not in _HARMLESS_CALLS:
                self.warn(node, f"a parser is passed to `{name}`, which cannot be read "
                                "statically; arguments it adds are missing")
                if len(passed) == 1:  # `parser = helper(parser)` returns it, as a rule
                    return passed[0]
            raise Unresolved("unknown call")
        args, kwargs = self.strict_args(node, scope)
        return self.apply(func, args, kwargs)

    def _callee(self, receiver: Any, name: str, scope: Scope | None = None) -> Any:
        """What a call names, an import not yet read left as a LazyImport (see _worth_reading)."""
        if receiver is None:
            assert scope is not None
            try:
                return scope.lookup(name)
            except KeyError:
                return self.eval_Name(ast.Name(id=name, ctx=ast.Load()), scope)  # builtins, star imports
        receiver = self.resolve(receiver)
        if isinstance(receiver, ModuleNS) and name in receiver.names:
            return receiver.names[name]
        return self.attribute(receiver, name)

    def _worth_reading(self, func: LazyImport, node: ast.Call, scope: Scope) -> bool:
        """Whether to read the module a called name comes from: when the call is given a parser
        or its name reads like building one or its defaults (reading every module a training
        loop calls into would cost seconds and change nothing)."""
        if _BUILDER_NAME.search(func.attr or func.module.rpartition(".")[2]):
            return True
        return any(isinstance(a, ast.Name) and self.is_parser_object(self.try_eval(a, scope)) for a in node.args)

    def _value_of_call(self, fn: Function, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        """The plain value a small helper of the project returns (`defaults.update(model_defaults())`).

        Walked at most MAX_VALUE_CALLS times in all, once per function and arguments, and never for
        an installed package's function: what a script needs this for is a few dicts of defaults."""
        home = fn.home.file if fn.home is not None else None
        if (home is not None and not home.local) or _statement_count(fn) > MAX_VALUE_FUNCTION_STATEMENTS:
            raise Unresolved("call of a script function")
        if is_plain([args, kwargs]):
            key = (id(fn), repr(args), repr(kwargs))
        else:  # unknown arguments: the same walk gives the same answer, keep it by their kinds
            key = (id(fn), "", ",".join(type(v).__name__ for v in [*args, *kwargs.values()]))
        if key in self.values:
            known = self.values[key]
            self.env_log.extend(self.value_env.get(key, _NO_ENV))  # what the walk it was kept from logged
            if known is UNKNOWN:
                raise Unresolved("call of a script function")
            return copy.deepcopy(known)
        if self.value_calls >= MAX_VALUE_CALLS:
            raise Unresolved("call of a script function")
        self.value_calls += 1
        start = len(self.env_log)
        value = self.call_function(fn, args, kwargs, node)
        if len(self.env_log) > start:
            self.value_env[key] = self.env_since(start)
        plain = is_plain(value)
        self.values[key] = copy.deepcopy(value) if plain else UNKNOWN
        if not plain:
            raise Unresolved("call of a script function")
        return value

    def _mutate(self, receiver: dict[str, Any] | list[Any], attr: str, node: ast.Call, scope: Scope) -> Any:
        """`d.update(...)`, `d.setdefault(k, v)`, `l.append(x)`, `l.extend(xs)` on known values."""
        args, kwargs = self.strict_args(node, scope)
        if not is_plain(args) or not is_plain(kwargs):
            raise Unresolved("unknown values")
        result = getattr(receiver, attr)(*args, **kwargs)
        if len(receiver) > MAX_LEN:
            raise Unresolved("value too large")
        return result

    def _call_noted(self, fn: Function, args: list[Any], kwargs: dict[str, Any], node: ast.AST,
                    env: frozenset[int] = _NO_ENV) -> Any:
        """`call_function`, noting where a parser built in another file was read from."""
        result = self.call_function(fn, args, kwargs, node, env)
        home = fn.home.file if fn.home is not None else None
        if home is not None and self.is_parser_object(result):
            note = f"parser built by {home.name}.{fn.node.name}: read from {home.filename}"
            if note not in self.notes:
                self.notes.append(note)
        return result

    def call_function(self, fn: Function, args: list[Any], kwargs: dict[str, Any],
                      node: ast.AST, env: frozenset[int] = _NO_ENV) -> Any:
        """Walk a script function's body with its parameters bound; its return value. `env`: the
        environment reads its arguments came from (every parameter but a parser carries them)."""
        if fn.home is not None and fn.home is not self.state:
            with self._in_file(fn.home):
                return self.call_function(fn, args, kwargs, node, env)
        if len(self.frames) >= MAX_DEPTH:
            raise Unresolved("calls nested too deeply")
        self.calls += 1
        if self.calls > MAX_CALLS:
            if self.calls == MAX_CALLS + 1:
                self.warn(node, "too many function calls to follow; arguments added by later "
                                "calls may be missing")
            raise Unresolved("too many calls")
        self.visited.add(id(fn))
        local = Scope(fn.scope)
        spec = fn.node.args
        positional = spec.posonlyargs + spec.args
        first_default = len(positional) - len(fn.defaults)
        for i, param in enumerate(positional):
            if i < len(args):
                value = args[i]
            elif param.arg in kwargs:
                value = kwargs.pop(param.arg)
            elif i >= first_default:
                value = fn.defaults[i - first_default]
            else:
                value = UNKNOWN
            local.bind(param.arg, value)
        if spec.vararg is not None:
            local.bind(spec.vararg.arg, tuple(args[len(positional):]))
        for param, default in zip(spec.kwonlyargs, fn.kw_defaults):
            local.bind(param.arg, kwargs.pop(param.arg, default))
        if spec.kwarg is not None:
            local.bind(spec.kwarg.arg, kwargs)
        env = env | fn.default_env if fn.default_env else env
        if env:
            for name, value in local.names.items():
                if not self.is_parser_object(value):
                    local.env[name] = env
                    self.env_names.add(name)
        frame = _Frame(node=fn.node)
        self.frames.append(frame)
        outer_uncertain, self.uncertain = self.uncertain, 0
        try:
            self.exec_block(fn.node.body, local)
        finally:
            self.frames.pop()
            self.uncertain = outer_uncertain
        if frame.returned:
            return frame.result
        objects = [c for c in frame.candidates if self.is_parser_object(c)]
        if objects:
            return objects[0]
        return frame.candidates[-1] if frame.candidates else None

    def enclosing_body(self) -> ast.AST | None:
        """The def of the function being walked, else the current file's module."""
        return self.frames[-1].node if self.frames else self.state.tree

    def _orphan(self, receiver: ast.expr, scope: Scope, node: ast.Call) -> Any:
        """A stand-in parser for a receiver the walk could not trace, bound to its name."""
        dotted = _dotted(receiver)
        parser = self.orphan_parser(dotted or self.segment(receiver), node)
        if isinstance(receiver, ast.Name):
            scope.bind(receiver.id, parser)
        elif dotted is not None:
            self.attr_bindings[dotted] = parser
        return parser

    def is_parser_factory(self, func: Any) -> bool:
        """Whether calling `func` creates a parser."""
        return False

    def is_parser_object(self, value: Any) -> bool:
        """Whether `value` is a parser-like object whose methods `parser_method` handles."""
        return False

    def new_parser(self, node: ast.Call, args: list[Any], kwargs: dict[str, Any], factory: Any) -> Any:
        """The parser `factory(*args, **kwargs)` creates."""
        raise Unresolved("no parsers")

    def orphan_parser(self, name: str, node: ast.Call) -> Any:
        raise Unresolved("no parsers")

    def parser_method(self, obj: Any, attr: str, node: ast.Call, scope: Scope) -> Any:
        raise Unresolved(attr)
