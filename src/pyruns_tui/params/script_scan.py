"""Cheap text-level scans that tell which parts of a script can touch an argparse parser.

The walker follows only functions and unrolls only loops that can: a function mentioning an
argparse word (`add_argument`, `ArgumentParser`, ...) or calling, by name, a function that
does. False positives only cost walking time; nothing here decides a value.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

__all__ = ["relevant_functions", "called_names", "loop_matters", "touches_parser"]

_PARSER_WORDS = {"add_argument", "add_argument_group", "add_mutually_exclusive_group",
                 "set_defaults", "add_subparsers", "add_parser", "ArgumentParser", "parse_args",
                 "parse_known_args"}
_CALLED_NAME = re.compile(r"(?<!def )(?<!class )\b([A-Za-z_]\w*)\s*\(")
_BARE_CALL = re.compile(r"(?<![.\w])([A-Za-z_]\w*)\s*\(")  # `f(`, not `obj.f(`
_PARSER_WORD = re.compile(r"\b(?:" + "|".join(sorted(_PARSER_WORDS)) + r")\b")


def _function_defs(stmts: list[ast.stmt]) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every def in a statement list, nested ones included (expressions are not entered)."""
    for stmt in stmts:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield stmt
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list):
                yield from _function_defs(inner)
        for part in getattr(stmt, "handlers", None) or getattr(stmt, "cases", None) or ():
            yield from _function_defs(part.body)


def relevant_functions(tree: ast.Module, lines: list[str]) -> tuple[set[int], set[str]]:
    """ids and names of the defs worth following: they mention argparse words, or call (by
    name) a def that does. A cheap text scan: a false positive only costs a walk."""
    defs = list(_function_defs(tree.body))
    texts = {id(d): "\n".join(lines[d.lineno - 1:d.end_lineno]) for d in defs}
    relevant = {id(d) for d in defs if _PARSER_WORD.search(texts[id(d)])}
    names = {d.name for d in defs if id(d) in relevant}
    calls = {id(d): set(_CALLED_NAME.findall(texts[id(d)])) for d in defs}
    grew = True
    while grew:
        grew = False
        for d in defs:
            if id(d) not in relevant and calls[id(d)] & names:
                relevant.add(id(d))
                names.add(d.name)
                grew = True
    return relevant, names


def called_names(source: str) -> set[str]:
    """Names called anywhere in `source` (`f(`, `obj.f(`), defs and classes excluded."""
    return set(_CALLED_NAME.findall(source))


def loop_matters(stmt: ast.stmt, lines: list[str], relevant_names: set[str]) -> bool:
    """Whether a loop's body can touch a parser or delete from a container (a dict of defaults
    filtered in a loop); else one uncertain pass is enough."""
    text = "\n".join(lines[stmt.lineno - 1:stmt.end_lineno])
    if _PARSER_WORD.search(text) or any(isinstance(node, ast.Delete) for node in ast.walk(stmt)):
        return True
    return bool(called_names(text) & relevant_names)


def touches_parser(node: ast.AST, lines: list[str], relevant_names: set[str]) -> bool:
    """Whether the code of `node` (an `if`, a loop, a comprehension) names a parser method or calls,
    by its bare name, a def that does: what decides whether it runs then decides what a parser
    holds. Stricter than `loop_matters` (a `del`, or a method call like `callbacks.run()` sharing a
    def's name, is no parser)."""
    text = "\n".join(lines[node.lineno - 1:node.end_lineno])  # type: ignore[attr-defined]
    if _PARSER_WORD.search(text):
        return True
    return bool(relevant_names) and not relevant_names.isdisjoint(_BARE_CALL.findall(text))
