"""A nanoGPT config file (`config/train_shakespeare_char.py`) read as values, never run.

nanoGPT's configurator.py runs each argument without `=` (`python train.py config/x.py
--batch_size=32`) with exec in train.py's globals, before the `--key=value` items after it: such a
file is a list of assignments over the script's defaults. `config_file_values` reads it statically:
each statement must be a plain assignment (`batch_size = 64`, `gradient_accumulation_steps = 5 * 8`,
`lr_decay_iters = max_iters`) of one of the script's parameters to a value the static evaluator
computes (literals, arithmetic, the defaults and the file's own earlier values, pure builtins) that
its `--key=value` item can carry (configurator_argv.value_text). Anything else (an import, a call
of anything else, `if`, a name the script has no parameter for) is refused in one line naming the
file's line. A whole number given for a float global is that float (`dropout = 0` is 0.0):
configurator.py's `--key=value` demands the global's own type.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Mapping
from typing import Any

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.configurator_argv import OverrideError, type_of, value_text
from pyruns_tui.params.number_text import too_large_for_float
from pyruns_tui.params.param_spec import ParamSpec, ScriptParams
from pyruns_tui.params.static_eval import StaticEvaluator
from pyruns_tui.params.static_values import Scope, Unresolved

__all__ = ["MAX_SOURCE", "config_file_values"]

_SHOWN = 60  # characters of a statement quoted in a message
# a config file is a few hundred bytes: a larger one is another file (15 MB of `x = 1` lines took
# 2.5 GB and a minute to read), refused before it is parsed
MAX_SOURCE = 1 << 20


def _targets(stmt: ast.stmt) -> tuple[list[str], ast.expr] | None:
    """(the names, the value) of `a = b = value` or `a: T = value`; None for any other statement."""
    if isinstance(stmt, ast.Assign) and all(isinstance(target, ast.Name) for target in stmt.targets):
        return [target.id for target in stmt.targets if isinstance(target, ast.Name)], stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return [stmt.target.id], stmt.value
    return None


def _shown(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _SHOWN else line[:_SHOWN - 1] + "…"


def _docstring(index: int, stmt: ast.stmt) -> bool:
    return index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
        and isinstance(stmt.value.value, str)


def _unknown(name: str, specs: Mapping[str, ParamSpec], script: str) -> str:
    close = difflib.get_close_matches(name, list(specs), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{name} is not a parameter of {script}{hint}; fix the name or remove the line"


def _fitted(name: str, value: Any, spec: ParamSpec) -> Any:
    """`value` as the global gets it back from `--name=...`; OverrideError when it cannot."""
    wanted = type_of(spec)
    if (wanted == "str") != isinstance(value, str) and wanted in ("str", "int", "float"):
        # (value_text passes a number's text, and reads `'8'` as 8 for a `--key=value` item: the file's
        # exec would set the global to that very str or number, not the default's type)
        raise OverrideError(f"{name!r} expects {wanted}, got {value!r}")
    if wanted == "float" and type(value) is int:
        try:
            value = float(value)
        except OverflowError:
            raise OverrideError(f"{name!r}: {too_large_for_float(value)}") from None
    value_text(name, value, spec)
    _check_utf8(name, value)
    return value


def _check_utf8(name: str, value: Any) -> None:
    """OverrideError when a text in `value` holds a lone surrogate (`'\\ud800'`, which only a Python
    literal can make): no UTF-8 config.yaml or command line can hold it (a dry run passed it, the
    task's creation then failed)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                bad = item[exc.start:exc.end]
                raise OverrideError(f"{name!r} holds {bad!r}, a lone surrogate that is not UTF-8 text") from None
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())


def config_file_values(source: str, where: str, params: ScriptParams, defaults: Mapping[str, Any],
                       script: str) -> dict[str, Any]:
    """The values a nanoGPT config file sets, by parameter (in the file's order); `defaults` are the
    values its expressions may name (the workspace's), `where` and `script` name the file and the
    script in messages. ParamsError (`where:LINE: what; how to fix`) for a file it cannot read so."""
    if len(source) > MAX_SOURCE:
        raise ParamsError(f"{where}: the config file is over {MAX_SOURCE >> 20} MiB (a nanoGPT config file is a few "
                          "hundred bytes); is this the right file?")
    try:
        tree = ast.parse(source, filename=where)
    except SyntaxError as exc:
        raise ParamsError(f"{where}:{exc.lineno or 1}: not valid Python ({exc.msg}); fix the line") from None
    except (RecursionError, MemoryError):  # (the parser's stack: `- - - ... 1`, `1+1+...+1`)
        raise ParamsError(f"{where}: cannot be read as Python (an expression is nested too deeply); "
                          "is this the right file?") from None
    except ValueError as exc:
        raise ParamsError(f"{where}: cannot be read as Python ({exc}); is this the right file?") from None
    specs = {spec.key: spec for spec in params.params}
    evaluator = StaticEvaluator(source)
    scope = Scope()
    for key, value in defaults.items():
        if key in specs and type(value) in (int, float, bool, str):
            scope.bind(key, value)
    values: dict[str, Any] = {}
    for index, stmt in enumerate(tree.body):
        if _docstring(index, stmt):
            continue
        line = f"{where}:{stmt.lineno}"
        assigned = _targets(stmt)
        if assigned is None:
            raise ParamsError(f"{line}: `{_shown(evaluator.segment(stmt))}` is not a `name = value` line; pyr-tui "
                              "reads config files without running them: write each value itself, or drop the line")
        names, node = assigned
        for name in names:
            if name not in specs:
                raise ParamsError(f"{line}: {_unknown(name, specs, script)}")
        try:
            value = evaluator.eval(node, scope)
        except Unresolved:
            raise ParamsError(f"{line}: the value of {names[0]} (`{_shown(evaluator.segment(node))}`) cannot be known "
                              f"without running it; write the value itself ({names[0]} = ...)") from None
        for name in names:
            try:
                fitted = _fitted(name, value, specs[name])
            except OverrideError as exc:
                raise ParamsError(f"{line}: {exc}; fix the value") from None
            values[name] = fitted
            scope.bind(name, fitted)
    return values
