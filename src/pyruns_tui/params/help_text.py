"""The readable part of a `help=` expression that cannot be evaluated whole.

`help='model architecture: ' + ' | '.join(model_names) + ' (default: resnet18)'` needs the
running program for its middle part; its literal parts are still the help a user wants to see:
`model architecture: … (default: resnet18)`. `readable_help` evaluates each part once (a
string concatenation, an f-string, `%`-formatting or `.format()` of a literal template) and puts
PLACEHOLDER where a part cannot be known. Source text of code is never shown as help.
`expanded_help` fills argparse's own `%(choices)s`-style keys the same way.
"""

from __future__ import annotations

import ast
import re
import string
from typing import Any, Callable, Union

from pyruns_tui.params.static_eval import StaticEvaluator
from pyruns_tui.params.static_values import MAX_LEN, UNKNOWN, Scope, has_text

__all__ = ["PLACEHOLDER", "expanded_help", "readable_help"]

PLACEHOLDER = "…"


class _Gap:
    """A part of the text that cannot be known statically."""


_GAP = _Gap()
_Pieces = list[Union[str, _Gap]]
# one `%` conversion of printf-style formatting (the mapping key, flags, width, precision, type)
_PERCENT = re.compile(r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?:\*|\d*)(?:\.(?:\*|\d*))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])")
_HUGE_WIDTH = re.compile(r"\d{5,}")  # a format width this long would build a huge string


def readable_help(evaluator: StaticEvaluator, node: ast.expr, scope: Scope) -> str | None:
    """The help text of `node` with PLACEHOLDER for unknown parts; None when it is not text or
    nothing of it is readable (no text besides placeholders). Each part of `node` is
    evaluated once, as one evaluation of the whole would (its side effects happen once)."""
    pieces = _pieces(evaluator, node, scope)
    if sum(len(p) for p in pieces if isinstance(p, str)) > MAX_LEN:
        return None
    known = _known_text(pieces)
    if known is not None:
        return known
    if not any(isinstance(p, str) and p.strip() for p in pieces):
        return None
    return _joined(pieces)


def expanded_help(template: str, values: dict[str, Any]) -> str:
    """`template % values` as argparse expands a help's `%(default)s`, `%(choices)s`...: a value
    that is not known (UNKNOWN, or an object of this reader) is PLACEHOLDER, never `None` or the
    reader's own text."""
    return _joined(_percent_parts(template, values))


def _joined(pieces: _Pieces) -> str:
    """The text of `pieces`, PLACEHOLDER for each gap."""
    out: list[str] = []
    for piece in pieces:
        if piece == "":
            continue
        text = PLACEHOLDER if isinstance(piece, _Gap) else piece
        if text == PLACEHOLDER and out and out[-1] == PLACEHOLDER:
            continue  # two unknown parts side by side read as one
        out.append(text)
    return "".join(out)


def _value(evaluator: StaticEvaluator, node: ast.expr, scope: Scope) -> Any:
    """The value of `node`, or UNKNOWN."""
    return evaluator.try_eval(node, scope)


def _pieces(evaluator: StaticEvaluator, node: ast.expr, scope: Scope) -> _Pieces:
    """The parts of the text `node` makes, known ones as text, in order."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        terms = [node.right]
        while isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.Add):
            node = node.left  # `a + b + c` nests to the left: walked as a loop, however long
            terms.append(node.right)
        terms.append(node.left)
        return [piece for term in reversed(terms) for piece in _pieces(evaluator, term, scope)]
    if isinstance(node, ast.JoinedStr):
        out: _Pieces = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                value = _value(evaluator, part.value, scope)
                spec = _known_text(_pieces(evaluator, part.format_spec, scope)) if part.format_spec else ""
                conversion = chr(part.conversion) if part.conversion > 0 else None
                text = None if spec is None or _HUGE_WIDTH.search(spec) else _formatted(value, conversion, spec)
            else:
                text = _value(evaluator, part, scope)
            out.append(text if isinstance(text, str) else _GAP)
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _percent(evaluator, node, scope)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _format_call(evaluator, node, scope)
    value = _value(evaluator, node, scope)
    return [value] if isinstance(value, str) else [_GAP]


def _known_text(pieces: _Pieces) -> str | None:
    """The text of `pieces` when every part is known (and it is not huge)."""
    texts = [p for p in pieces if isinstance(p, str)]
    if len(texts) < len(pieces) or sum(len(t) for t in texts) > MAX_LEN:
        return None
    return "".join(texts)


def _percent(evaluator: StaticEvaluator, node: ast.BinOp, scope: Scope) -> _Pieces:
    """`template % values` with a gap for each conversion whose value is unknown."""
    template = _known_text(_pieces(evaluator, node.left, scope))
    right = node.right
    values: Any
    if isinstance(right, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in right.elts):
        values = tuple(_value(evaluator, e, scope) for e in right.elts)
    elif isinstance(right, ast.Dict) and None not in right.keys:
        values = {}
        for key_node, value_node in zip(right.keys, right.values):
            assert key_node is not None
            key = _value(evaluator, key_node, scope)
            value = _value(evaluator, value_node, scope)
            if isinstance(key, str):
                values[key] = value
    else:
        values = _value(evaluator, right, scope)
    if template is None or _HUGE_WIDTH.search(template):
        return [_GAP]
    if not isinstance(values, (tuple, dict)):
        values = (values,)
    return _percent_parts(template, values)


def _percent_parts(template: str, values: tuple[Any, ...] | dict[str, Any]) -> _Pieces:
    """The conversions of `template` one by one: a known value formatted, an unknown one a gap."""
    out: _Pieces = []
    position, index, total = 0, 0, len(template)
    for match in _PERCENT.finditer(template):
        out.append(template[position:match.start()])
        position = match.end()
        spec = match.group(0)
        if match.group("type") == "%":
            out.append("%")
            continue
        key = match.group("key")
        value: Any = UNKNOWN
        if key is not None:
            if isinstance(values, dict):
                value = values.get(key, UNKNOWN)
            spec = spec.replace(f"({key})", "", 1)
        elif isinstance(values, tuple) and "*" not in spec and index < len(values):
            value, index = values[index], index + 1
        elif "*" in spec:
            index = len(values)  # a width taken from the values: the positions of the rest are not followed
        try:
            text = spec % (value,) if has_text(value) else None
        except (TypeError, ValueError):
            text = None
        out.append(_GAP if text is None else text)
        total += len(text or "")
        if total > MAX_LEN:
            return [_GAP]
    out.append(template[position:])
    return out


def _format_call(evaluator: StaticEvaluator, node: ast.Call, scope: Scope) -> _Pieces:
    """`template.format(...)` with a gap for each field whose value is unknown."""
    assert isinstance(node.func, ast.Attribute)
    template = _known_text(_pieces(evaluator, node.func.value, scope))
    if template is None:
        evaluator.lenient_args(node, scope)  # the call's arguments are evaluated all the same
        return [_GAP]
    args: list[Any] = []
    known_positions: int | None = None  # after a *args that cannot be read, positions are not known
    kwargs: dict[str, Any] = {}
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            value = _value(evaluator, arg.value, scope)
            if isinstance(value, (list, tuple)):
                args.extend(value)
            elif known_positions is None:
                known_positions = len(args)
        else:
            args.append(_value(evaluator, arg, scope))
    for kw in node.keywords:
        value = _value(evaluator, kw.value, scope)
        if kw.arg is not None:
            kwargs[kw.arg] = value
        elif isinstance(value, dict):
            kwargs.update({str(k): v for k, v in value.items()})
    if _HUGE_WIDTH.search(template):
        return [_GAP]
    if known_positions is not None:
        args = args[:known_positions]
    try:
        return _format_parts(template, args, kwargs)
    except ValueError:  # a malformed template: the script would fail here
        return [_GAP]


def _format_parts(template: str, args: list[Any], kwargs: dict[str, Any]) -> _Pieces:
    """The fields of `template` one by one: a known value formatted, an unknown one a gap."""
    out: _Pieces = []
    auto, total = 0, len(template)
    for literal, field, spec, conversion in string.Formatter().parse(template):
        out.append(literal)
        if field is None:
            continue
        name = re.split(r"[.\[]", field, maxsplit=1)[0]
        simple = name == field and "{" not in (spec or "")  # attributes, indexes, nested specs: not read
        if name == "":
            name, auto = str(auto), auto + 1
        if "{" in (spec or ""):
            auto = len(args)  # a nested field numbered automatically: the rest are not followed
        value: Any = UNKNOWN
        if simple and name.isdigit():
            value = args[int(name)] if int(name) < len(args) else UNKNOWN
        elif simple:
            value = kwargs.get(name, UNKNOWN)
        text = _formatted(value, conversion, spec or "")
        out.append(_GAP if text is None else text)
        total += len(text or "")
        if total > MAX_LEN:
            return [_GAP]
    return out


_CONVERSIONS: dict[str, Callable[[Any], str]] = {"r": repr, "s": str, "a": ascii}


def _formatted(value: Any, conversion: str | None, spec: str) -> str | None:
    """`format(value!conversion, spec)`; None when unknown, an object of the reader, or it fails."""
    if not has_text(value):
        return None
    try:
        if conversion is not None:
            value = _CONVERSIONS[conversion](value)
        return format(value, spec)
    except (KeyError, TypeError, ValueError):
        return None
