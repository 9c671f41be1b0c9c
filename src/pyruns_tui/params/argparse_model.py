"""A static model of argparse parsers: what `add_argument` calls declared, and the namespace
argparse would build from them for an empty command line.

The static reader (argparse_reader) fills these declarations while walking a script; `to_specs`
applies argparse's own rules (set_defaults, first default wins for a shared dest, builtin type
conversion of string defaults, sub-parser defaults override the parent's) and returns the
frozen `ParamSpec`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from pyruns_tui.params.help_text import expanded_help
from pyruns_tui.params.param_spec import ParamSpec, plain_copy
from pyruns_tui.params.static_eval import ARGPARSE_CONSTANTS
from pyruns_tui.params.static_paths import plain_paths
from pyruns_tui.params.static_values import UNKNOWN, has_text, is_plain

__all__ = ["ActionDecl", "Default", "ParserDecl", "GroupDecl", "ExclusiveDecl", "SubparsersDecl", "to_specs", "SUPPRESS"]

SUPPRESS = ARGPARSE_CONSTANTS["SUPPRESS"]
REMAINDER = ARGPARSE_CONSTANTS["REMAINDER"]
BUILTIN_TYPES: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "str": str,
                                                   "bool": bool}
# actions taking no value: argparse's classes set nargs=0 (and the const of a switch)
_NO_VALUE_ACTIONS = frozenset({"store_const", "store_true", "store_false", "append_const", "count",
                               "boolean_optional"})
_CLASS_CONSTS = {"store_true": True, "store_false": False}
# a default as the namespace gets it: (value, its source text, `FILE:LINE` of that source: where a
# warning about one that cannot be known points)
Default = tuple[Any, "str | None", "str | None"]


@dataclass(eq=False)
class ExclusiveDecl:
    """One `add_mutually_exclusive_group()`: argparse refuses two of its members on one command
    line and, when `required`, a command line with none. `complete` is False when one of its
    add_argument calls could not be read (then none-set is not judged: the unread one may be it)."""

    ident: int
    required: bool = False
    complete: bool = True


@dataclass
class ActionDecl:
    """One `add_argument` call as declared; `default` may be UNKNOWN (see default_source)."""

    key: str
    flags: list[str]
    default: Any
    default_source: str | None
    action: str = "store"
    type_name: str | None = None
    choices: tuple[Any, ...] | None = None
    const: Any = None
    nargs: int | str | None = None
    required: bool = False
    help: str | None = None
    group: str | None = None
    positional: bool = False
    lineno: int = 0
    at: str = ""  # `FILE:LINE` of the call (warnings made after the walk start with it)
    default_at: str | None = None  # `FILE:LINE` of the default's source (module_walk's `default_place`)
    env_vars: tuple[str, ...] = ()  # environment variables the default reads
    exclusive: ExclusiveDecl | None = None  # the mutually exclusive group it belongs to
    defaults_file: bool = False  # its value names a YAML file given to set_defaults (defaults_file.py)
    defaults_file_empty_fails: bool = False  # ... and an empty file fails the script (`**None`)
    metavar: Any = None  # for the help's %(metavar)s only; UNKNOWN when it cannot be read
    help_type: Any = None  # `type=` as the help's %(type)s shows it (its __name__); UNKNOWN when not known
    unread: tuple[str, ...] = ()  # keywords given whose values cannot be read (choices, const, nargs, required)


@dataclass(eq=False)
class SubparsersDecl:
    """The object `add_subparsers()` returns: sub-parsers by name, in declaration order."""

    owner: ParserDecl
    dest: str | None = None
    prog: Any = None  # add_subparsers(prog=...): the start of each sub-parser's prog; UNKNOWN when unread
    choices: dict[str, ParserDecl] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class ParserDecl:
    """One ArgumentParser (or a parser the reader could not trace, `orphan_name` set)."""

    lineno: int = 0
    at: str = ""  # `FILE:LINE` of the call that made it (it may be in an imported module)
    actions: list[ActionDecl] = field(default_factory=list)
    defaults: dict[str, Default] = field(default_factory=dict)
    prefix_chars: str = "-"
    argument_default: Any = None
    resolve_conflicts: bool = False
    subparsers: SubparsersDecl | None = None
    is_sub: bool = False
    used_as_parent: bool = False
    parse_called: bool = False
    parse_order: int = 0  # 1 for the first parser parsed, 2 for the next...
    orphan_name: str | None = None
    orphan_missing: tuple[str, str] | None = None  # (`FILE:LINE`, why): made by a package not installed
    prog: Any = None  # `prog=` given (a str, or UNKNOWN when it cannot be read); None: the script's name
    usage_given: bool = False  # `usage=` given: it starts the prog of the sub-parsers
    option_index: dict[str, ActionDecl] = field(default_factory=dict)

    def add(self, decl: ActionDecl) -> str | None:
        """Add an action like argparse; a warning text when a flag conflicts."""
        clashes = [flag for flag in decl.flags if flag in self.option_index]
        if clashes and not self.resolve_conflicts:
            return f"option {clashes[0]} is declared twice; the first declaration is kept"
        for flag in clashes:
            old = self.option_index.pop(flag)
            old.flags.remove(flag)
            if not old.flags:
                self.actions.remove(old)
        self.actions.append(decl)
        self.option_index.update(dict.fromkeys(decl.flags, decl))
        return None

    def set_defaults(self, values: dict[str, Default]) -> None:
        """`parser.set_defaults(**values)`: parser-level defaults that also override actions'."""
        self.defaults.update(values)
        for action in self.actions:
            if action.key in values:
                action.default, action.default_source, action.default_at = values[action.key]

    def inherit(self, parent: ParserDecl) -> None:
        """Take a `parents=[...]` parser's actions and defaults, as argparse does: the action
        objects are shared, so a child's set_defaults changes them for every sharer."""
        parent.used_as_parent = True
        for action in parent.actions:
            self.add(action)
        self.defaults.update(parent.defaults)


@dataclass(eq=False)
class GroupDecl:
    """An argument group or mutually exclusive group: adds to its parser under a title."""

    parser: ParserDecl
    title: str | None
    exclusive: ExclusiveDecl | None = None  # set for a mutually exclusive group


def _namespace(parser: ParserDecl) -> dict[str, Default]:
    """key -> (value, source, place) that parse_args([]) would give, SUPPRESSed keys left out."""
    ns: dict[str, Default] = {}
    owner: dict[str, ActionDecl] = {}
    for action in parser.actions:
        if action.key not in ns and action.default != SUPPRESS:
            ns[action.key] = (action.default, action.default_source, action.default_at)
            owner[action.key] = action
    for key, value in parser.defaults.items():
        if key not in ns and value[0] != SUPPRESS:
            ns[key] = value
    for key, action in owner.items():
        value, source, at = ns[key]
        if action.positional and action.nargs == REMAINDER:
            ns[key] = ([], source, at)  # argparse collects zero strings into [] whatever the default
            continue
        if action.positional and action.nargs == "*":
            if value is None:
                ns[key] = ([], source, at)
            continue  # a '*' positional keeps a non-None default unconverted
        if isinstance(value, str) and not action.required and action.type_name in BUILTIN_TYPES:
            try:
                ns[key] = (BUILTIN_TYPES[action.type_name](value), source, at)
            except ValueError:
                ns[key] = (UNKNOWN, source or repr(value), at)
    return ns


def _expand_help(action: ActionDecl, prog: Any) -> str | None:
    """`help` with %(default)s etc. filled in like argparse's HelpFormatter; None if SUPPRESSed.
    A value only the running script has is PLACEHOLDER (`expanded_help`), except an unknown
    default, shown as its source (`default: os.getcwd()`)."""
    if action.help is None or action.help == SUPPRESS:
        return None
    default = action.default
    if not has_text(default):
        default = action.default_source or UNKNOWN
    nargs, const = action.nargs, action.const
    if action.action in _NO_VALUE_ACTIONS:  # what argparse's own action classes set
        nargs, const = 0, _CLASS_CONSTS.get(action.action, const)
    params: dict[str, Any] = {
        "option_strings": action.flags, "dest": action.key, "nargs": nargs,
        "const": const, "default": default, "type": action.help_type,
        "choices": action.choices, "required": action.required, "help": action.help,
        "metavar": action.metavar, "prog": prog,
    }
    params.update(dict.fromkeys(action.unread, UNKNOWN))
    params = {k: v for k, v in params.items() if not isinstance(v, str) or v != SUPPRESS}
    if params.get("choices") not in (None, UNKNOWN):
        params["choices"] = ", ".join(str(c) for c in params["choices"])
    known = {k: v for k, v in params.items() if has_text(v)}
    try:
        return action.help % known
    except KeyError as exc:
        if exc.args and exc.args[0] in params:  # a value only the running script has
            return expanded_help(action.help, params)
        return action.help  # a key argparse does not have: its --help would fail
    except (ValueError, TypeError):
        return action.help


def _resolved(value: Any, source: str | None) -> tuple[Any, bool, str | None]:
    """(default, default_resolved, default_source) for a namespace value."""
    if value == SUPPRESS:
        return None, True, source
    value = plain_paths(value)
    if value is UNKNOWN or not is_plain(value):
        return None, False, source
    return plain_copy(value), True, source


def _parser_specs(parser: ParserDecl, ns: dict[str, Default],
                  subcommand: str | None, prog: Any) -> list[ParamSpec]:
    specs = []
    for action in parser.actions:
        value, source, at = ns.get(action.key, (None, action.default_source, action.default_at))
        default, ok, source = _resolved(value, source)
        specs.append(ParamSpec(
            key=action.key, flags=tuple(action.flags), default=default, default_resolved=ok,
            default_source=source, default_at=at, type_name=action.type_name,
            choices=None if action.choices is None else tuple(plain_copy(list(action.choices))),
            action=action.action, const=plain_copy(action.const), nargs=action.nargs,
            required=action.required, help=_expand_help(action, prog), group=action.group,
            positional=action.positional, subcommand=subcommand, env_vars=action.env_vars,
            exclusive=None if action.exclusive is None else action.exclusive.ident,
            exclusive_required=action.exclusive is not None and action.exclusive.required
            and action.exclusive.complete, defaults_file=action.defaults_file,
            defaults_file_empty_fails=action.defaults_file_empty_fails))
    declared = {action.key for action in parser.actions}
    for key, (value, source, at) in ns.items():
        if key not in declared:
            default, ok, source = _resolved(value, source)
            specs.append(ParamSpec(key=key, default=default, default_resolved=ok,
                                   default_source=source, default_at=at, action="set_defaults",
                                   subcommand=subcommand))
    return specs


def to_specs(main: ParserDecl, sub: ParserDecl | None, subcommand: str | None,
             prog: str) -> list[ParamSpec]:
    """The main parser's specs then the chosen sub-parser's; a key the sub-parser also sets
    is taken from it (argparse copies the sub-namespace over the parent's). `prog`: the
    script's name, the main parser's prog unless it gives its own."""
    main_ns = _namespace(main)
    main_prog = prog if main.prog is None else main.prog
    if sub is None:
        return _const_helps(_switch_helps(_parser_specs(main, main_ns, None, main_prog)))
    sub_ns = _namespace(sub)
    merged = {**main_ns, **sub_ns}
    parent = [s for s in _parser_specs(main, merged, None, main_prog)
              if s.positional or s.key not in sub_ns]
    specs = parent + _parser_specs(sub, sub_ns, subcommand, _sub_prog(main, sub, subcommand, main_prog))
    return _const_helps(_switch_helps(specs))


def _sub_prog(main: ParserDecl, sub: ParserDecl, name: str | None, main_prog: Any) -> Any:
    """A sub-parser's prog as argparse makes it: its own `prog=`, else `add_subparsers(prog=)` or
    the main parser's usage line (its prog, when it has no positional and no `usage=`), then the
    sub-command's name; UNKNOWN when that usage is more than the prog."""
    if sub.prog is not None:
        return sub.prog
    start = main.subparsers.prog if main.subparsers is not None else None
    if start is None and not main.usage_given and not any(a.positional for a in main.actions):
        start = main_prog
    return f"{start} {name}" if isinstance(start, str) and name is not None else UNKNOWN


def _switch_helps(specs: list[ParamSpec]) -> list[ParamSpec]:
    """Helps that read right under a key's switch (on = true): a store_false flag's help says
    what giving that flag does, which is turning the switch off, so it is labelled with its flag
    (`--cls_token (sets it false): Use class token...`); and the key's first switch flag, whose
    help is the one shown for the key, gets every help of the key's switch flags, those of
    flags setting it true first (mae's `--global_pool`, no help, and `--cls_token`, dest
    global_pool, whose help read backwards under `global_pool: true`)."""
    out = list(specs)
    by_key: dict[str, list[int]] = {}
    for index, spec in enumerate(out):
        by_key.setdefault(spec.key, []).append(index)
    for indexes in by_key.values():
        switches = [i for i in indexes if out[i].action in ("store_true", "store_false")]
        if not any(out[i].action == "store_false" and out[i].help for i in switches):
            continue
        for i in switches:
            if out[i].action == "store_false" and out[i].help:
                out[i] = replace(out[i], help=f"{_long_flag(out[i].flags)} (sets it false): {out[i].help}")
        if indexes[0] in switches:
            texts = [out[i].help for i in switches if out[i].action == "store_true" and out[i].help]
            texts += [out[i].help for i in switches if out[i].action == "store_false" and out[i].help]
            out[indexes[0]] = replace(out[indexes[0]], help="; ".join(t for t in texts if t))
    return out


def _const_helps(specs: list[ParamSpec]) -> list[ParamSpec]:
    """Helps that say what each value of a key set by several flags means, a legend of the choices
    the form offers: a `store_const` flag's help is labelled with the value it stores and its flag
    (`cosine (--cosine): cosine schedule`), and the key's first spec, whose help is the one shown
    for the key, gets after its own the label of every store_const flag of the key, with its help
    where it has one (groups_mutex's `--cosine`/`--constant`, dest schedule: the form showed only the
    first flag's help). Keys whose store_const flags have no help are left as they are."""
    out = list(specs)
    by_key: dict[str, list[int]] = {}
    for index, spec in enumerate(out):
        by_key.setdefault(spec.key, []).append(index)
    for indexes in by_key.values():
        consts = [i for i in indexes if out[i].action == "store_const" and out[i].flags]
        if len(indexes) < 2 or not any(out[i].help for i in consts):
            continue
        labels = {i: f"{_const_text(out[i].const)} ({_long_flag(out[i].flags)})" for i in consts}
        for i in consts:
            if out[i].help:
                out[i] = replace(out[i], help=f"{labels[i]}: {out[i].help}")
        first = indexes[0]
        texts = [out[first].help or labels.get(first)]
        texts += [out[i].help or labels[i] for i in consts if i != first]
        out[first] = replace(out[first], help="; ".join(t for t in texts if t))
    return out


def _const_text(value: Any) -> str:
    """A const as a YAML value reads (`true`, `null`, `cosine`)."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return str(value) if value != "" else "''"


def _long_flag(flags: tuple[str, ...]) -> str:
    """The first long flag (`--cls_token`), else the first flag."""
    return next((f for f in flags if len(f) > 2 and f[1] == f[0]), flags[0])
