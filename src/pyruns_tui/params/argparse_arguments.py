"""One `add_argument` call recorded as an ActionDecl, by argparse's own rules for dest, required,
default (explicit, set_defaults, argument_default, the action class's), type, nargs, choices and
const; what cannot be read statically is a warning, never a guess.
"""

from __future__ import annotations

import ast
from typing import Any

from pyruns_tui.params.argparse_model import SUPPRESS, ActionDecl, ExclusiveDecl, ParserDecl
from pyruns_tui.params.help_text import readable_help
from pyruns_tui.params.hf_dataclasses import _enum_values, _is_enum
from pyruns_tui.params.module_walk import LazyImport
from pyruns_tui.params.script_defs import ClassNS, Function
from pyruns_tui.params.script_walker import ScriptWalker
from pyruns_tui.params.source_files import ModuleFinder
from pyruns_tui.params.static_values import UNKNOWN, ModuleAttr, ModuleRef, is_plain

_ACTION_CLASSES = {
    "BooleanOptionalAction": "boolean_optional", "_StoreAction": "store",
    "_StoreConstAction": "store_const", "_StoreTrueAction": "store_true",
    "_StoreFalseAction": "store_false", "_AppendAction": "append",
    "_AppendConstAction": "append_const", "_CountAction": "count", "_HelpAction": "help",
    "_VersionAction": "version", "_ExtendAction": "extend",
}
_SKIPPED_ACTIONS = {"help", "version", "parsers"}
_CLASS_DEFAULTS = {"store_true": False, "store_false": True}


class _ArgumentRecorder(ScriptWalker):
    """The layer of the argparse reader that records add_argument calls (the parsers: argparse_reader.py)."""

    def __init__(self, source: str, filename: str, finder: ModuleFinder | None = None) -> None:
        super().__init__(source, filename, finder)
        self.env_in_defaults: set[int] = set()

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
            group=group, lineno=node.lineno, at=self.place(node), exclusive=exclusive, unread=tuple(unread))
        self._fill_default(decl, parser, kwargs, kw_nodes, node, scope)
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
                      kw_nodes: dict[str, ast.expr | None], node: ast.Call, scope: Any) -> None:
        """argparse's default order: explicit, set_defaults, argument_default, action class."""
        decl.default_at = self.place(node)
        if "default" in kwargs:
            src = kw_nodes.get("default")
            decl.default = kwargs["default"]
            decl.default_source = self.default_text(src, decl.default, scope) if src is not None else repr(decl.default)
            if src is not None:
                decl.default_at = self.default_place(src, decl.default, scope)
        elif decl.key in parser.defaults:
            decl.default, decl.default_source, decl.default_at = parser.defaults[decl.key]
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

    def _enum_choices(self, choices: Any, type_: Any, node: ast.expr | None,
                      type_node: ast.expr | None) -> tuple[str, ...] | None:
        """The member values of an Enum of the project for argparse's Enum idiom, `type=E,
        choices=list(E)` (or `tuple(E)`, or `choices=E`; dinov2's `type=MetricType,
        choices=list(MetricType)`): the command line names a member by its value, which `type=E`
        turns into it. None for anything else, or where a value is no text (`E("1")` finds no
        member of int values: no command line works then)."""
        if not isinstance(type_, ClassNS) or type_.node is None or not _is_enum(self, type_) or node is None:
            return None
        named = node.args[0] if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in ("list", "tuple") and len(node.args) == 1 and not node.keywords else node
        if choices is not type_ and (type_node is None or ast.dump(named) != ast.dump(type_node)):
            return None
        values = _enum_values(self, type_)
        return values if values and all(isinstance(v, str) for v in values) else None

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
        members = self._enum_choices(choices, kwargs.get("type"), kw_nodes.get("choices"), kw_nodes.get("type"))
        if members is not None:
            decl.choices = members
        elif isinstance(choices, (list, tuple, range, str, dict)) and is_plain(list(choices)):
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
