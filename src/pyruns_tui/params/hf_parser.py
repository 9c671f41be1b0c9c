"""HfArgumentParser(dataclass_types) as the argparse reader takes it: each dataclass's fields
(params/hf_dataclasses.py) added as the options HfArgumentParser adds, a library's dataclass
(transformers.TrainingArguments) read from its installed source when the finder finds it.
"""

from __future__ import annotations

import ast
from typing import Any

from pyruns_tui.params.argparse_arguments import _ArgumentRecorder
from pyruns_tui.params.argparse_model import ActionDecl, ParserDecl
from pyruns_tui.params.hf_dataclasses import FieldArgument, field_arguments, is_dataclass
from pyruns_tui.params.module_walk import LazyImport
from pyruns_tui.params.script_defs import ClassNS
from pyruns_tui.params.static_values import ModuleAttr, Unresolved


class _HfParserReader(_ArgumentRecorder):
    """The layer of the argparse reader that adds an HfArgumentParser's dataclasses' options."""

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
            for argument in field_arguments(self, cls, group if isinstance(group, str) else cls.name):
                self._add_field(parser, argument)  # (a warning names the field's file: `argument.at`)

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
            default_source=argument.default_source, default_at=argument.default_at, type_name=argument.type_name,
            choices=argument.choices, const=argument.const, nargs=argument.nargs,
            required=argument.required, help=argument.help, group=argument.group,
            lineno=argument.lineno, at=argument.at, help_type=argument.type_name, unread=tuple(argument.unread))
        for problem in [parser.add(decl)] + [f"{what} of {argument.key!r} cannot be read statically"
                                             for what in argument.unread]:
            if problem:
                self.warn_place(argument.at, problem)
        if argument.default is True and argument.type_name == "string_to_bool":
            negative = ActionDecl(
                key=argument.key, flags=[f"--no_{argument.key}", f"--no-{argument.key.replace('_', '-')}"],
                default=False, default_source=None, default_at=argument.at, action="store_false", help=argument.help,
                group=argument.group, lineno=argument.lineno, at=argument.at)
            problem = parser.add(negative)
            if problem:
                self.warn_place(argument.at, problem)
