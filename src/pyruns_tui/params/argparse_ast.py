"""Static argparse extraction: a script's parameters read from its AST, never by running it.

`extract_params(source)` walks the module like a tiny interpreter that only understands
constants and argparse: it follows parsers through variables, function calls (with the
parser passed in or returned), argument groups, `parents=[...]`, sub-parsers and loops over
literal lists, and applies argparse's own default rules. What it cannot follow becomes a
warning, and a default it cannot compute is marked unresolved (never its source text).
The walk is the reader's (argparse_reader.py, over argparse_arguments.py and hf_parser.py);
this module tells what kind of script it is and builds its ScriptParams.
"""

from __future__ import annotations

import ast
import os
from dataclasses import replace

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argparse_model import ParserDecl, to_specs
from pyruns_tui.params.argparse_reader import _ArgparseReader, _main_parser, not_installed_parser
from pyruns_tui.params.configurator import read_configurator
from pyruns_tui.params.param_spec import ParamSpec, ScriptParams, unresolved_warnings
from pyruns_tui.params.source_files import ModuleFinder

__all__ = ["extract_params", "ParamSpec", "ScriptParams"]

_ARGPARSE_NAMES = frozenset({"argparse", "ArgumentParser", "parse_args", "parse_known_args"})


def _pyruns_load_line(tree: ast.Module, source: str) -> int | None:
    """The line of the script's first pyruns_tui.load() call (through any import alias); None when
    it calls none."""
    if "pyruns_tui" not in source:
        return None
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
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in functions:
            lines.append(node.lineno)
        elif isinstance(func, ast.Attribute) and func.attr == "load":
            try:
                owner = ast.unparse(func.value)
            except (ValueError, RecursionError):
                continue
            if owner in modules:
                lines.append(node.lineno)
    return min(lines, default=None)


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


def _argparse_line(tree: ast.Module) -> int | None:
    """Where the code (not a comment or a string) uses argparse, to say where a parser was looked for:
    the first `ArgumentParser` outside imports (where one is built), else the first `parse_args` or
    `parse_known_args` (where one is used), else the first import of argparse; None when it names none."""
    found: list[tuple[int, int]] = []  # (rank, line): the lowest rank first, then the first line
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any(alias.name.split(".")[0] in _ARGPARSE_NAMES for alias in node.names) or (
                    isinstance(node, ast.ImportFrom) and node.module == "argparse"):
                found.append((2, node.lineno))
            continue
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in _ARGPARSE_NAMES:
                found.append((0 if name == "ArgumentParser" else 1 if name != "argparse" else 2, node.lineno))
    return min(found)[1] if found else None


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
    load_line = _pyruns_load_line(tree, source)
    if load_line is not None:
        notes: tuple[str, ...] = ()
        if "add_argument" in source:
            notes = (f"{filename}:{load_line}: the script calls pyruns_tui.load(); its argparse "
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
        used = _argparse_line(tree)
        missing = not_installed_parser(reader)
        if missing is not None:  # detectron2's `default_argument_parser().parse_args()`, not installed
            why = (f"{missing[0]}: argparse is used but no parser was found: it comes from {missing[1]}",)
        elif used is not None:
            why = (f"{filename}:{used}: argparse is used but no parser was found: it is built in code this reader "
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
            reader.warn_place(sub.at, f"sub-command {chosen!r} has its own sub-commands; "
                                      "nested sub-commands are not supported")
    elif subcommand is not None:
        raise ParamsError(f"{filename}: has no sub-commands (asked for {subcommand!r})")
    specs = to_specs(main, sub, chosen, os.path.basename(filename))
    reader.warnings.extend(unresolved_warnings(specs))
    return ScriptParams(params=tuple(specs), kind="argparse", subcommands=names,
                        subcommand=chosen, warnings=tuple(dict.fromkeys([*reader.notes, *reader.warnings])),
                        prefix_chars=main.prefix_chars, files_read=read)
