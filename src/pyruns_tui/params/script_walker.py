"""A statement walker that executes a module's AST abstractly, for static extraction: the calls.

It follows calls of the script's own functions (arguments bound, return value kept) and of small
helpers for the value they return, reads the project's modules a call names where it may build a
parser, and walks the script as `__main__` (`run`). Statements are the layer below
(statement_walk.py), environment reads the one below that (env_flow.py). Calls on objects a
subclass recognises (argparse parsers) go to `parser_method`; nothing of the script is ever run.
"""

from __future__ import annotations

import ast
import copy
import re
from typing import Any

from pyruns_tui.params.env_flow import _NO_ENV, _dotted
from pyruns_tui.params.module_walk import _STDLIB, ENV_READERS, LazyImport
from pyruns_tui.params.script_defs import ClassNS, Function, _argspec, _Frame, _statement_count
from pyruns_tui.params.script_scan import called_names, relevant_functions
from pyruns_tui.params.source_files import ModuleFinder, ModuleNS
from pyruns_tui.params.statement_walk import StatementWalker, _OutOfSteps
from pyruns_tui.params.static_values import MAX_LEN, UNKNOWN, ModuleAttr, ModuleRef, Scope, Unresolved, is_plain

__all__ = ["ScriptWalker"]

MAX_DEPTH = 40  # nested calls of the script's own functions
MAX_CALLS = 5_000  # calls of the script's own functions followed in all
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


class ScriptWalker(StatementWalker):
    """Walks a script and the calls of its own functions; subclasses implement the parser hooks
    (StatementWalker's bottom)."""

    def __init__(self, source: str, filename: str, finder: ModuleFinder | None = None) -> None:
        super().__init__(source, filename, finder)
        self.visited: set[int] = set()
        self.calls = 0
        self.value_calls = 0
        self.walks: dict[int, int] = {}
        self.values: dict[tuple[int, str, str], Any] = {}
        self.value_env: dict[tuple[int, str, str], frozenset[int]] = {}  # the environment reads behind a kept value
        self.script_path: str | None = None  # the script's absolute path, its `__file__`
        self.module_scope: Scope | None = None  # the script's globals, once `run` has walked it

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
            self.warn_place(self.filename, "script too large to read completely; some arguments may be missing")

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
                why = self._not_installed(func_node, scope)
                self.warn(node, f"a parser is passed to `{name}`, which cannot be read statically; arguments it adds "
                                "are missing" if why is None else
                                f"a parser is passed to `{name}` {why}; until then the arguments it adds are missing")
                if len(passed) == 1:  # `parser = helper(parser)` returns it, as a rule
                    return passed[0]
            raise Unresolved("unknown call")
        args, kwargs = self.strict_args(node, scope)
        return self.apply(func, args, kwargs)

    def _not_installed_source(self, receiver: ast.expr, scope: Scope, node: ast.AST) -> tuple[str, str] | None:
        """Where and why a parser the walk could not trace was made by a package that is not installed
        where pyr-tui looks (detectron2's `parser = default_argument_parser()`, or
        `default_argument_parser().parse_args()`, without detectron2): (`FILE:LINE` of the call that
        made it, what to say); None for any other receiver (`parser` a function's parameter)."""
        made: ast.expr | None = receiver
        if isinstance(receiver, ast.Name):  # the last `name = call(...)` above, in this function or module
            made = None
            body = self.enclosing_body()
            for stmt in ast.walk(body) if body is not None else ():
                if isinstance(stmt, ast.Assign) and stmt.lineno < getattr(node, "lineno", 0) \
                        and any(isinstance(t, ast.Name) and t.id == receiver.id for t in stmt.targets) \
                        and (made is None or stmt.lineno > made.lineno):
                    made = stmt.value
        why = self._not_installed(made.func, scope) if isinstance(made, ast.Call) else None
        return None if made is None or why is None else (self.place(made), f"`{self.segment(made)}` {why}")

    def _not_installed(self, func: ast.expr, scope: Scope) -> str | None:
        """`(detectron2.engine), which cannot be read: detectron2 is not installed ...; install ...` where
        the name `func` starts with was imported from a package the finder does not find; else None."""
        head = func
        while isinstance(head, ast.Attribute):
            head = head.value
        if not isinstance(head, ast.Name) or self.finder is None:
            return None
        try:
            bound = scope.lookup(head.id)
        except KeyError:
            return None
        module = bound.module if isinstance(bound, (LazyImport, ModuleAttr)) else \
            bound.name if isinstance(bound, ModuleRef) else None
        top = module.split(".")[0] if module else ""
        if not top or top in _STDLIB or self.finder(top) is not None:
            return None
        return (f"({module}), which cannot be read: {top} is not installed where pyr-tui looks (this Python, "
                f"VIRTUAL_ENV, CONDA_PREFIX); install {top} there or activate its environment, and run `pyr-tui "
                "init` again")

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
            note = f"{home.filename}:{fn.node.lineno}: parser built by {home.name}.{fn.node.name} (read from there)"
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
        parser = self.orphan_parser(dotted or self.segment(receiver), node, self._not_installed_source(receiver, scope, node))
        if isinstance(receiver, ast.Name):
            scope.bind(receiver.id, parser)
        elif dotted is not None:
            self.attr_bindings[dotted] = parser
        return parser
