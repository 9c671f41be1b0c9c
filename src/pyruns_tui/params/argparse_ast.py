"""Static argparse extraction: a script's parameters read from its AST, never by running it.

`extract_params(source)` walks the module like a tiny interpreter that only understands
constants and argparse: it follows parsers through variables, function calls (with the
parser passed in or returned), argument groups, `parents=[...]`, sub-parsers and loops over
literal lists, and applies argparse's own default rules. What it cannot follow becomes a
warning, and a default it cannot compute is marked unresolved (never its source text).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import os
from dataclasses import replace
from typing import Any

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argparse_model import (
    SUPPRESS,
    ActionDecl,
    ExclusiveDecl,
    GroupDecl,
    ParserDecl,
    SubparsersDecl,
    to_specs,
)
from pyruns_tui.params.configurator import read_configurator
from pyruns_tui.params.defaults_file import defaults_file_path
from pyruns_tui.params.help_text import readable_help
from pyruns_tui.params.hf_dataclasses import PARSE_METHODS as HF_PARSE_METHODS
from pyruns_tui.params.hf_dataclasses import FieldArgument, field_arguments, is_dataclass, is_hf_parser
from pyruns_tui.params.module_walk import LazyImport
from pyruns_tui.params.param_spec import ParamSpec, ScriptParams
from pyruns_tui.params.script_defs import ClassNS, Function
from pyruns_tui.params.script_walker import ScriptWalker
from pyruns_tui.params.source_files import ModuleFinder
from pyruns_tui.params.static_eval import UNKNOWN, ModuleAttr, ModuleRef, Unresolved, is_plain

__all__ = ["extract_params", "ParamSpec", "ScriptParams"]

_PARSE_METHODS = {"parse_args", "parse_known_args", "parse_intermixed_args",
                  "parse_known_intermixed_args", *HF_PARSE_METHODS}
_ACTION_CLASSES = {
    "BooleanOptionalAction": "boolean_optional", "_StoreAction": "store",
    "_StoreConstAction": "store_const", "_StoreTrueAction": "store_true",
    "_StoreFalseAction": "store_false", "_AppendAction": "append",
    "_AppendConstAction": "append_const", "_CountAction": "count", "_HelpAction": "help",
    "_VersionAction": "version", "_ExtendAction": "extend",
}
_ARGPARSE_NAMES = frozenset({"argparse", "ArgumentParser", "parse_args", "parse_known_args"})
_SKIPPED_ACTIONS = {"help", "version", "parsers"}
_CLASS_DEFAULTS = {"store_true": False, "store_false": True}


class _ArgparseReader(ScriptWalker):
    """A ScriptWalker that records argparse parsers and their add_argument calls."""

    def __init__(self, source: str, filename: str, finder: ModuleFinder | None = None) -> None:
        super().__init__(source, filename, finder)
        self.parsers: list[ParserDecl] = []
        self.parses = 0
        self.env_in_defaults: set[int] = set()
        self.exclusive_groups = 0  # add_mutually_exclusive_group() calls seen (their ids)

    def environment_warnings(self) -> list[str]:
        """Environment reads whose values reach a parser other than as a default of their own
        (`default=os.getenv("X", 0)`, marked in the spec): a name of an argument, a default through a
        variable, a test that decides what is added. Taken as unset. A read that never reaches a
        parser (yolov5's `RANK` for its training loop) is not said."""
        out = []
        for key, name in self.env_reads.items():
            filename, line = self.env_sites[key]
            if key in self.env_fed and key not in self.env_in_defaults:
                out.append(f"{filename}:{line}: the environment variable {name} is read while the parser is built; "
                           "taken as unset")
        return out

    def is_parser_factory(self, func: Any) -> bool:
        return func == ModuleAttr("argparse", "ArgumentParser") or is_hf_parser(func)

    def is_parser_object(self, value: Any) -> bool:
        return isinstance(value, (ParserDecl, GroupDecl, SubparsersDecl))

    def new_parser(self, node: ast.Call, args: list[Any], kwargs: dict[str, Any], factory: Any) -> ParserDecl:
        parser = ParserDecl(lineno=node.lineno)
        self._configure(parser, kwargs, node)
        self.parsers.append(parser)
        if is_hf_parser(factory):
            self._add_dataclasses(parser, args[0] if args else kwargs.get("dataclass_types"), node)
        return parser

    def _add_dataclasses(self, parser: ParserDecl, types: Any, node: ast.Call) -> None:
        """HfArgumentParser(dataclass_types): each dataclass's fields as the options it adds
        (params/hf_dataclasses.py), a library's (transformers.TrainingArguments) read from its
        installed source when the finder finds it."""
        if types is None:
            return
        for cls in types if isinstance(types, (list, tuple)) else [types]:
            cls = self._library_class(cls)
            if not (isinstance(cls, ClassNS) and is_dataclass(cls)):
                self.warn(node, f"the dataclass {self._class_name(cls)} given to HfArgumentParser cannot be "
                                f"read{self._why_unread(cls)}; its options are missing (the other dataclasses' are read)")
                continue
            group = cls.scope.names.get("_argument_group_name")
            arguments = field_arguments(self, cls, group if isinstance(group, str) else cls.name)
            with self._in_file(cls.home) if cls.home is not None else contextlib.nullcontext():
                for argument in arguments:  # (a warning names the dataclass's file)
                    self._add_field(parser, argument)

    def _library_class(self, value: Any) -> Any:
        """A class of an installed package (`transformers.TrainingArguments`) read from its source."""
        if isinstance(value, LazyImport):
            value = ModuleAttr(value.module, value.attr) if value.attr else value
        if not isinstance(value, ModuleAttr) or self.finder is None:
            return value
        ns = self.load_module(value.module, installed=True)
        if ns is None:
            return value
        try:
            return self.module_attribute(ns, value.attr)
        except Unresolved:
            return value

    def _class_name(self, value: Any) -> str:
        if isinstance(value, ModuleAttr):
            return f"{value.attr} ({value.module})"
        name = getattr(value, "name", None)
        return name if isinstance(name, str) else "?"

    def _why_unread(self, value: Any) -> str:
        if not isinstance(value, ModuleAttr):
            return " statically"
        top = value.module.split(".")[0]
        if self.finder is None or self.finder(top) is None:
            return f": {top} is not installed where pyr-tui looks (this Python, VIRTUAL_ENV, CONDA_PREFIX)"
        return f": it was not found in {top}'s source"

    def _add_field(self, parser: ParserDecl, argument: FieldArgument) -> None:
        """One dataclass field's option, as HfArgumentParser adds it (and `--no_x` for a bool
        defaulting to True)."""
        decl = ActionDecl(
            key=argument.key, flags=list(argument.flags), default=argument.default,
            default_source=argument.default_source, type_name=argument.type_name,
            choices=argument.choices, const=argument.const, nargs=argument.nargs,
            required=argument.required, help=argument.help, group=argument.group,
            lineno=argument.lineno, help_type=argument.type_name, unread=tuple(argument.unread))
        for problem in [parser.add(decl)] + [f"{what} of {argument.key!r} cannot be read statically"
                                             for what in argument.unread]:
            if problem:
                self.warn_at(argument.lineno, problem)
        if argument.default is True and argument.type_name == "string_to_bool":
            negative = ActionDecl(
                key=argument.key, flags=[f"--no_{argument.key}", f"--no-{argument.key.replace('_', '-')}"],
                default=False, default_source=None, action="store_false", help=argument.help,
                group=argument.group, lineno=argument.lineno)
            problem = parser.add(negative)
            if problem:
                self.warn_at(argument.lineno, problem)

    def orphan_parser(self, name: str, node: ast.Call) -> ParserDecl:
        parser = ParserDecl(lineno=node.lineno, orphan_name=name)
        self.parsers.append(parser)
        return parser

    def _configure(self, parser: ParserDecl, kwargs: dict[str, Any], node: ast.AST) -> None:
        """Apply ArgumentParser/add_parser keyword arguments that change parsing."""
        chars = kwargs.get("prefix_chars")
        if isinstance(chars, str) and chars:
            parser.prefix_chars = chars
        parser.argument_default = kwargs.get("argument_default")
        if parser.argument_default is UNKNOWN:
            self.warn(node, "argument_default cannot be read statically; ignored")
            parser.argument_default = None
        parser.resolve_conflicts = kwargs.get("conflict_handler") == "resolve"
        prog = kwargs.get("prog")
        parser.prog = prog if isinstance(prog, str) or prog is None else UNKNOWN  # (for the help's %(prog)s)
        parser.usage_given = kwargs.get("usage") is not None
        parents = kwargs.get("parents") or []
        if parents is UNKNOWN or not isinstance(parents, (list, tuple)):
            self.warn(node, "parents=... cannot be read statically; their arguments are missing")
            parents = []
        for parent in parents:
            if isinstance(parent, ParserDecl):
                parser.inherit(parent)
            else:
                self.warn(node, "a parent parser cannot be read statically; its arguments "
                                "are missing")

    def parser_method(self, obj: Any, attr: str, node: ast.Call, scope: Any) -> Any:
        """Run `obj.attr(...)` for a parser, group or sub-parsers object."""
        if isinstance(obj, SubparsersDecl):
            if attr == "add_parser":
                return self._add_parser(obj, node, scope)
            self.lenient_args(node, scope)
            raise Unresolved(attr)
        parser = obj.parser if isinstance(obj, GroupDecl) else obj
        title = obj.title if isinstance(obj, GroupDecl) else None
        exclusive = obj.exclusive if isinstance(obj, GroupDecl) else None
        if attr == "add_argument":
            return self._add_argument(parser, title, node, scope, exclusive)
        if attr == "add_argument_group":
            args, kwargs = self.lenient_args(node, scope)
            value = args[0] if args else kwargs.get("title")
            if value is UNKNOWN:
                value = self.segment(node.args[0] if node.args else node)
            return GroupDecl(parser, value if isinstance(value, str) else None)
        if attr == "add_mutually_exclusive_group":
            # (a group made from another mutually exclusive group, deprecated by argparse, is taken
            # as a group of its own: its members are also the outer group's in argparse)
            _, kwargs = self.lenient_args(node, scope)
            required = kwargs.get("required", False)
            if required is UNKNOWN:
                self.warn(node, "required=... of a mutually exclusive group cannot be read statically; "
                                "taken as not required")
            self.exclusive_groups += 1
            return GroupDecl(parser, title, ExclusiveDecl(self.exclusive_groups, required=required is True))
        if attr == "set_defaults":
            parser.set_defaults(self._keyword_values(node, scope))
            return None
        if attr == "add_subparsers" and isinstance(obj, ParserDecl):
            _, kwargs = self.lenient_args(node, scope)
            if parser.subparsers is None:
                dest, prog = kwargs.get("dest"), kwargs.get("prog")
                parser.subparsers = SubparsersDecl(parser, dest if isinstance(dest, str) else None,
                                                   prog if isinstance(prog, str) or prog is None else UNKNOWN)
            return parser.subparsers
        if attr in _PARSE_METHODS and not parser.parse_called:
            self.parses += 1
            parser.parse_called, parser.parse_order = True, self.parses
        self.lenient_args(node, scope)
        raise Unresolved(attr)

    def _keyword_values(self, node: ast.Call, scope: Any) -> dict[str, tuple[Any, str | None]]:
        """`set_defaults(...)` keywords -> (value or UNKNOWN, source text)."""
        out: dict[str, tuple[Any, str | None]] = {}
        for kw in node.keywords:
            value = self.try_eval(kw.value, scope)
            if kw.arg is not None:
                out[kw.arg] = (value, self.segment(kw.value))
            elif isinstance(value, dict):
                out.update({str(k): (v, repr(v)) for k, v in value.items()})
            elif not self._defaults_file(kw.value, scope):
                self.warn(node, f"set_defaults(**{self.segment(kw.value)}) cannot be read "
                                "statically; ignored")
        return out

    def _defaults_file(self, star: ast.expr, scope: Any) -> bool:
        """Mark the argument whose value names the YAML file `set_defaults(**star)` loads (timm's
        `--config`, params/defaults_file.py); whether there is one."""
        body = self.enclosing_body()
        if body is None:
            return False
        found = defaults_file_path(body, star, functools.partial(_yaml_name, scope))
        if found is None:
            return False
        parser = self.try_eval(found[0], scope)
        if not isinstance(parser, ParserDecl):
            return False
        action = next((a for a in parser.actions if a.key == found[1]), None)
        if action is None:
            return False
        action.defaults_file, action.defaults_file_empty_fails = True, found[2]
        return True

    def _add_parser(self, subs: SubparsersDecl, node: ast.Call, scope: Any) -> ParserDecl:
        args, kwargs = self.lenient_args(node, scope)
        name = args[0] if args else kwargs.get("name")
        sub = ParserDecl(lineno=node.lineno, is_sub=True)
        self._configure(sub, kwargs, node)
        if not isinstance(name, str):
            self.warn(node, "a sub-command whose name cannot be read statically is skipped")
            return sub
        subs.choices[name] = sub
        aliases = kwargs.get("aliases") or ()
        if isinstance(aliases, (list, tuple)):
            subs.aliases.update({a: name for a in aliases if isinstance(a, str)})
        return sub

    def _add_argument(self, parser: ParserDecl, group: str | None, node: ast.Call,
                      scope: Any, exclusive: ExclusiveDecl | None = None) -> Any:
        """Record one add_argument call with argparse's rules for dest, required, default;
        `exclusive`: the mutually exclusive group it is added to."""
        names: list[Any] = []
        for arg in node.args:
            value = self.try_eval(arg.value if isinstance(arg, ast.Starred) else arg, scope)
            if isinstance(arg, ast.Starred) and isinstance(value, (list, tuple)):
                names.extend(value)
            else:
                names.append(value)
        if not all(isinstance(n, str) and n for n in names):
            shown = ", ".join(self.segment(arg) for arg in node.args)[:60]
            self.warn(node, f"add_argument({shown}, ...) has names that cannot be read "
                            "statically; skipped")
            if exclusive is not None:
                exclusive.complete = False
            return None
        kw_nodes: dict[str, ast.expr | None] = {}
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            # a help text is read in parts: what cannot be known is a placeholder (help_text.py)
            value = readable_help(self, kw.value, scope) if kw.arg == "help" else self.try_eval(kw.value, scope)
            if kw.arg is not None:
                kwargs[kw.arg], kw_nodes[kw.arg] = value, kw.value
            elif isinstance(value, dict):
                kwargs.update(value)
                kw_nodes.update({k: None for k in value})
            else:
                self.warn(node, f"add_argument(**{self.segment(kw.value)}) cannot be read "
                                "statically; its options are missing")
        action = self._action_name(kwargs.get("action", "store"), kw_nodes.get("action"))
        if action in _SKIPPED_ACTIONS or kwargs.get("dest") == SUPPRESS:
            return None
        positional = not names or (len(names) == 1 and names[0][0] not in parser.prefix_chars)
        unread: list[str] = []  # keywords whose values cannot be read: the help's %(...)s shows a placeholder
        if positional:
            key = names[0] if names else kwargs.get("dest")
            if not isinstance(key, str):
                self.warn(node, "a positional argument without a readable name is skipped")
                if exclusive is not None:
                    exclusive.complete = False
                return None
            nargs = kwargs.get("nargs")
            # argparse marks a REMAINDER positional required, yet it takes zero strings
            required = nargs not in ("?", "*", "...") or (nargs == "*" and "default" not in kwargs)
        else:
            key = kwargs.get("dest")
            if not isinstance(key, str):
                longs = [n for n in names if len(n) > 1 and n[1] in parser.prefix_chars]
                key = (longs or names)[0].lstrip(parser.prefix_chars).replace("-", "_")
            required = kwargs.get("required") is True
            if "required" in kwargs and not isinstance(kwargs["required"], bool):
                unread.append("required")
        decl = ActionDecl(
            key=key, flags=[] if positional else list(names), default=None,
            default_source=None, action=action, positional=positional, required=required,
            group=group, lineno=node.lineno, exclusive=exclusive, unread=tuple(unread))
        self._fill_default(decl, parser, kwargs, kw_nodes)
        default_node = kw_nodes.get("default")
        if default_node is not None:
            reads = [n for n in ast.walk(default_node) if id(n) in self.env_reads]
            decl.env_vars = tuple(dict.fromkeys(self.env_reads[id(n)] for n in reads))
            self.env_in_defaults.update(id(n) for n in reads)
        self._fill_details(decl, kwargs, kw_nodes, node)
        problem = parser.add(decl)
        if problem:
            self.warn(node, problem)
        return decl

    def _action_name(self, value: Any, node: ast.expr | None) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, ModuleAttr) and value.module == "argparse":
            return _ACTION_CLASSES.get(value.attr, "argparse." + value.attr)
        return self.segment(node) if node is not None else "store"

    def _fill_default(self, decl: ActionDecl, parser: ParserDecl, kwargs: dict[str, Any],
                      kw_nodes: dict[str, ast.expr | None]) -> None:
        """argparse's default order: explicit, set_defaults, argument_default, action class."""
        if "default" in kwargs:
            src = kw_nodes.get("default")
            decl.default = kwargs["default"]
            decl.default_source = self.segment(src) if src is not None else repr(decl.default)
        elif decl.key in parser.defaults:
            decl.default, decl.default_source = parser.defaults[decl.key]
        elif parser.argument_default is not None:
            decl.default = parser.argument_default
        else:
            decl.default = _CLASS_DEFAULTS.get(decl.action)

    def _type_label(self, value: Any, node: ast.expr | None) -> str | None:
        """`type=` as text: a builtin's name, else its source (or name when from **kwargs)."""
        if value in (int, float, str, bool):
            return value.__name__
        if node is not None:
            return self.segment(node)
        if isinstance(value, ModuleAttr):
            return value.attr
        return getattr(value, "name", None) or getattr(getattr(value, "node", None), "name",
                                                         None)

    def _fill_details(self, decl: ActionDecl, kwargs: dict[str, Any],
                      kw_nodes: dict[str, ast.expr | None], node: ast.Call) -> None:
        decl.type_name = self._type_label(kwargs.get("type"), kw_nodes.get("type"))
        nargs = kwargs.get("nargs")
        decl.help_type = _help_type(kwargs.get("type"), kw_nodes.get("type"))
        unread = list(decl.unread)
        if nargs is not None and (isinstance(nargs, bool) or not isinstance(nargs, (int, str))):
            self.warn(node, f"nargs of {decl.key!r} cannot be read statically; ignored")
            nargs = None
            unread.append("nargs")
        decl.nargs = nargs
        choices = kwargs.get("choices")
        if isinstance(choices, (list, tuple, range, str, dict)) and is_plain(list(choices)):
            decl.choices = tuple(choices)
        elif choices is not None:
            self.warn(node, f"choices of {decl.key!r} cannot be read statically; ignored")
            unread.append("choices")
        const = kwargs.get("const")
        if not is_plain(const):
            self.warn(node, f"const of {decl.key!r} cannot be read statically")
            const = None
            unread.append("const")
        decl.const = const
        metavar = kwargs.get("metavar")
        decl.metavar = metavar if is_plain(metavar) else UNKNOWN
        decl.unread = tuple(unread)
        help_value = kwargs.get("help")
        decl.help = help_value if isinstance(help_value, str) else None
        if decl.action == "extend" and nargs is None and "nargs" not in unread and decl.flags:
            self._warn_extend(decl, node)

    def _warn_extend(self, decl: ActionDecl, node: ast.Call) -> None:
        """An `extend` option without nargs: argparse iterates each value it is given, so a text
        gives its characters (`--tags ab`: ['a', 'b']) and a number fails the script (argv_items.py passes
        single characters only, each with its flag, and no number)."""
        flag = decl.flags[-1]
        if decl.type_name in ("int", "float", "bool"):
            self.warn(node, f"{flag} (action='extend' without nargs, type={decl.type_name}) fails on any value "
                            "(argparse iterates it); it cannot be set (nargs='+' in the script would take values)")
        elif decl.type_name in (None, "str"):
            self.warn(node, f"{flag} (action='extend' without nargs) splits each value into characters ({flag} ab "
                            "gives ['a', 'b']); its list items must be single characters (nargs='+' takes words)")


def _help_type(value: Any, node: ast.expr | None) -> Any:
    """`type=` as argparse's help shows it (`%(type)s`: the callable's `__name__`): None when not
    given, UNKNOWN when its name cannot be known (a callable object, a value only the program has)."""
    if value is None:
        return None
    if isinstance(node, ast.Lambda):
        return "<lambda>"
    if isinstance(value, Function):
        return value.node.name
    if isinstance(value, (ModuleAttr, LazyImport)):
        return value.attr or UNKNOWN  # a function or class of a module is named as it is bound there
    if not type(value).__module__.startswith("pyruns_tui."):
        name = getattr(value, "__name__", None)  # a builtin or a library function the reader evaluates
    else:  # a class of the script, a `pathlib.Path` or `os.path.expanduser` the reader stands in for
        name = getattr(value, "name", None) if not isinstance(value, ModuleRef) else None
    return name if isinstance(name, str) else UNKNOWN


def _yaml_name(scope: Any, name: str) -> str | None:
    """What `name` is bound to in `scope`: "yaml" (the module), "yaml.safe_load" (its function), or None."""
    try:
        value = scope.lookup(name)
    except KeyError:
        return None
    if isinstance(value, ModuleRef):
        return "yaml" if value.name == "yaml" else None
    if isinstance(value, (LazyImport, ModuleAttr)) and value.module == "yaml":
        attr = getattr(value, "attr", None)
        return "yaml" if attr is None else f"yaml.{attr}"
    return None


def _main_parser(reader: _ArgparseReader) -> ParserDecl | None:
    """The parser the script parses with, orphans merged into it (with a warning)."""
    roots = [p for p in reader.parsers if not p.is_sub and p.orphan_name is None]
    orphans = [p for p in reader.parsers if p.orphan_name is not None
               and (p.actions or p.defaults)]
    parsed = sorted((p for p in roots if p.parse_called), key=lambda p: p.parse_order)
    unparsed = [p for p in roots if not p.used_as_parent] or roots
    main: ParserDecl | None = None
    if len(parsed) > 1:
        main = _merge_parsed(parsed)
    elif parsed:
        main = parsed[0]
    elif unparsed:  # no parse_args seen: the biggest parser that is nobody's parent
        main = max(unparsed, key=lambda p: len(p.actions))
    if main is None and orphans:
        main = orphans.pop(0)
    for orphan in orphans:
        reader.warn_at(orphan.lineno, f"arguments added to `{orphan.orphan_name}`, a parser "
                                      "this reader could not trace, are assumed to belong to "
                                      "the main parser")
        for action in orphan.actions:
            problem = main.add(action) if main is not None else None
            if problem:
                reader.warn_at(action.lineno, problem)
        if main is not None:
            main.defaults.update(orphan.defaults)
    return main


def _merge_parsed(parsed: list[ParserDecl]) -> ParserDecl:
    """Every parser the script parses with, as one: each reads the same command line (a
    `parse_known_args` pre-pass for `--config`, then the main parser), so all their options are
    parameters, in the order argparse sees them; a key declared by several keeps the last
    parser's default (the namespace the script goes on with)."""
    last = parsed[-1]
    merged = ParserDecl(lineno=last.lineno, prefix_chars=last.prefix_chars,
                        argument_default=last.argument_default, subparsers=last.subparsers,
                        parse_called=True)
    later_keys = set()
    for parser in reversed(parsed):
        parser_keys = {a.key for a in parser.actions} | set(parser.defaults)
        parser.kept = [a for a in parser.actions if a.key not in later_keys]  # type: ignore[attr-defined]
        later_keys |= parser_keys
    for parser in parsed:
        for action in parser.kept:  # type: ignore[attr-defined]
            merged.actions.append(action)
            merged.option_index.update(dict.fromkeys(action.flags, action))
        merged.defaults.update({k: v for k, v in parser.defaults.items()})
    return merged


def _uses_pyruns_load(tree: ast.Module, source: str) -> bool:
    """Whether the script calls pyruns_tui.load() through any import alias."""
    if "pyruns_tui" not in source:
        return False
    modules: set[str] = set()
    functions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ("pyruns_tui", "pyruns_tui.script.api"):
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module in ("pyruns_tui",
                                                                  "pyruns_tui.script",
                                                                  "pyruns_tui.script.api"):
            functions.update(a.asname or a.name for a in node.names if a.name == "load")
            modules.update(a.asname or a.name for a in node.names if a.name == "api")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in functions:
            return True
        if isinstance(func, ast.Attribute) and func.attr == "load":
            try:
                owner = ast.unparse(func.value)
            except (ValueError, RecursionError):
                continue
            if owner in modules:
                return True
    return False


def _parse(source: str, filename: str) -> ast.Module:
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as exc:
        if not exc.lineno:
            raise ParamsError(f"{filename}: cannot parse the script: {exc.msg}") from None
        raise ParamsError(f"{filename}:{exc.lineno}: syntax error: {exc.msg} "
                          "(fix the script)") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ParamsError(f"{filename}: cannot parse the script: {exc}") from None


def _uses_argparse(tree: ast.Module) -> bool:
    """Whether the code (not a comment or a string) names argparse or its parsing calls."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in _ARGPARSE_NAMES:
            return True
        if isinstance(node, ast.Attribute) and node.attr in _ARGPARSE_NAMES:
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                alias.name.split(".")[0] in _ARGPARSE_NAMES for alias in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "argparse":
            return True
    return False


def extract_params(source: str, filename: str = "<script>",
                   subcommand: str | None = None, finder: ModuleFinder | None = None,
                   script_path: str | None = None, run_dir: str | None = None) -> ScriptParams:
    """Read a script's argparse parameters statically (the script is never imported or run).

    `subcommand` picks a sub-parser by name or alias (default: the first one). `finder` gives
    the source of modules the script imports (its own project's, and installed packages' where
    a parser is built or filled there); without it imports are not followed. Raises
    ParamsError for a syntax error or an unknown sub-command. `script_path` (absolute, the
    script's `__file__`) and `run_dir` (the directory its tasks run in) let defaults built from
    them be known: `Path(__file__).parent / "data"`, `Path(os.path.relpath(ROOT, Path.cwd()))`.
    """
    tree = _parse(source, filename)
    if _uses_pyruns_load(tree, source):
        notes: tuple[str, ...] = ()
        if "add_argument" in source:
            notes = (f"{filename}: the script calls pyruns_tui.load(); its argparse "
                     "arguments are not used for parameters",)
        return ScriptParams(kind="pyruns_load", warnings=notes)
    reader = _ArgparseReader(source, filename, finder)
    reader.script_path, reader.run_dir = script_path, run_dir
    reader.run(tree)
    main = _main_parser(reader)
    read = tuple(reader.files_read)
    reader.warnings.extend(reader.environment_warnings())
    if main is None:
        if subcommand is not None:
            raise ParamsError(f"{filename}: has no sub-commands (asked for {subcommand!r})")
        configured = read_configurator(tree, source, filename, finder, script_path)
        if configured is not None:  # nanoGPT's globals, overridden by `exec(open('configurator.py').read())`
            return replace(configured, warnings=tuple(dict.fromkeys((*reader.notes, *configured.warnings))),
                           files_read=tuple(dict.fromkeys((*read, *configured.files_read))))
        why: tuple[str, ...] = ()
        if _uses_argparse(tree):
            why = (f"{filename}: argparse is used but no parser was found: it is built in code this reader "
                   "cannot follow (a module not found, or a call it cannot read)",)
        return ScriptParams(kind="plain", warnings=(*reader.notes, *reader.warnings, *why), files_read=read)
    names: tuple[str, ...] = ()
    sub: ParserDecl | None = None
    chosen: str | None = None
    if main.subparsers is not None and main.subparsers.choices:
        names = tuple(main.subparsers.choices)
        chosen = main.subparsers.aliases.get(subcommand or "", subcommand) or names[0]
        if chosen not in main.subparsers.choices:
            raise ParamsError(f"{filename}: no sub-command {subcommand!r} "
                              f"(the script has: {', '.join(names)})")
        sub = main.subparsers.choices[chosen]
        if sub.subparsers is not None:
            reader.warn_at(sub.lineno, f"sub-command {chosen!r} has its own sub-commands; "
                                       "nested sub-commands are not supported")
    elif subcommand is not None:
        raise ParamsError(f"{filename}: has no sub-commands (asked for {subcommand!r})")
    specs = to_specs(main, sub, chosen, os.path.basename(filename))
    for spec in specs:
        if not spec.default_resolved:
            flag = spec.flags[-1] if spec.flags else spec.key
            reader.warnings.append(f"could not resolve the default of {flag}: {spec.default_source}")
    return ScriptParams(params=tuple(specs), kind="argparse", subcommands=names,
                        subcommand=chosen, warnings=tuple(dict.fromkeys([*reader.notes, *reader.warnings])),
                        prefix_chars=main.prefix_chars, files_read=read)
