"""The argparse reader: a ScriptWalker that records the script's parsers, their groups,
sub-parsers, `parents=`, `set_defaults` and parse calls (each add_argument: argparse_arguments.py),
and picks the parser the script parses with.
"""

from __future__ import annotations

import ast
import functools
from typing import Any

from pyruns_tui.params.argparse_model import Default, ExclusiveDecl, GroupDecl, ParserDecl, SubparsersDecl
from pyruns_tui.params.defaults_file import defaults_file_path
from pyruns_tui.params.hf_dataclasses import PARSE_METHODS as HF_PARSE_METHODS
from pyruns_tui.params.hf_dataclasses import is_hf_parser
from pyruns_tui.params.hf_parser import _HfParserReader
from pyruns_tui.params.module_walk import LazyImport
from pyruns_tui.params.source_files import ModuleFinder
from pyruns_tui.params.static_values import UNKNOWN, ModuleAttr, ModuleRef, Unresolved

_PARSE_METHODS = {"parse_args", "parse_known_args", "parse_intermixed_args",
                  "parse_known_intermixed_args", *HF_PARSE_METHODS}


class _ArgparseReader(_HfParserReader):
    """A ScriptWalker that records argparse parsers and their add_argument calls."""

    def __init__(self, source: str, filename: str, finder: ModuleFinder | None = None) -> None:
        super().__init__(source, filename, finder)
        self.parsers: list[ParserDecl] = []
        self.parses = 0
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
        parser = ParserDecl(lineno=node.lineno, at=self.place(node))
        self._configure(parser, kwargs, node)
        self.parsers.append(parser)
        if is_hf_parser(factory):
            self._add_dataclasses(parser, args[0] if args else kwargs.get("dataclass_types"), node)
        return parser

    def orphan_parser(self, name: str, node: ast.Call, missing: tuple[str, str] | None = None) -> ParserDecl:
        parser = ParserDecl(lineno=node.lineno, at=self.place(node), orphan_name=name, orphan_missing=missing)
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

    def _keyword_values(self, node: ast.Call, scope: Any) -> dict[str, Default]:
        """`set_defaults(...)` keywords -> (value or UNKNOWN, source text, its place)."""
        out: dict[str, Default] = {}
        for kw in node.keywords:
            value = self.try_eval(kw.value, scope)
            if kw.arg is not None:
                out[kw.arg] = (value, self.default_text(kw.value, value, scope), self.default_place(kw.value, value, scope))
            elif isinstance(value, dict):
                out.update({str(k): (v, repr(v), self.place(kw.value)) for k, v in value.items()})
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
        sub = ParserDecl(lineno=node.lineno, at=self.place(node), is_sub=True)
        self._configure(sub, kwargs, node)
        if not isinstance(name, str):
            self.warn(node, "a sub-command whose name cannot be read statically is skipped")
            return sub
        subs.choices[name] = sub
        aliases = kwargs.get("aliases") or ()
        if isinstance(aliases, (list, tuple)):
            subs.aliases.update({a: name for a in aliases if isinstance(a, str)})
        return sub


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


def not_installed_parser(reader: _ArgparseReader) -> tuple[str, str] | None:
    """(`FILE:LINE`, why) of a parser the script parses with that a package not installed made
    (`default_argument_parser().parse_args()` without detectron2), said when no parser is found."""
    return next((p.orphan_missing for p in reader.parsers if p.orphan_missing is not None), None)


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
        if main.orphan_missing is not None:  # detectron2's `parser = default_argument_parser()`, not installed
            place, why = main.orphan_missing
            reader.warn_place(place, f"the parser comes from {why}; until then only the arguments the script adds to it "
                                     "are read, the ones it is made with are missing")
    for orphan in orphans:
        reader.warn_place(orphan.at, f"arguments added to `{orphan.orphan_name}`, a parser "
                                     "this reader could not trace, are assumed to belong to "
                                     "the main parser")
        for action in orphan.actions:
            problem = main.add(action) if main is not None else None
            if problem:
                reader.warn_place(action.at, problem)
        if main is not None:
            main.defaults.update(orphan.defaults)
    return main


def _merge_parsed(parsed: list[ParserDecl]) -> ParserDecl:
    """Every parser the script parses with, as one: each reads the same command line (a
    `parse_known_args` pre-pass for `--config`, then the main parser), so all their options are
    parameters, in the order argparse sees them; a key declared by several keeps the last
    parser's default (the namespace the script goes on with)."""
    last = parsed[-1]
    merged = ParserDecl(lineno=last.lineno, at=last.at, prefix_chars=last.prefix_chars,
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
