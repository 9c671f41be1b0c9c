"""nanoGPT's configurator: a script whose parameters are its module-level globals.

Karpathy's nanoGPT `train.py` (and its forks: nanochat, many research repositories) has no argparse:
it assigns literal globals (`batch_size = 12`), then runs
`exec(open('configurator.py').read())`, whose code reads `--key=value` items of `sys.argv` with
`ast.literal_eval` (the text itself where that fails), checks each value has its global's type and
overwrites the global. `read_configurator` finds that statement, reads the file it names (through
the finder, as text) to confirm it is such an overrider, and makes each global bound before it whose
value is an int, float, bool or str (nanoGPT's own `config_keys` filter) a parameter: a comment on
its line is its help, a comment line above a run of them names their group. The values go on the
command line as configurator.py reads them back (params/configurator_argv.py).
"""

from __future__ import annotations

import ast
import io
import tokenize

from pyruns_tui.params.param_spec import ParamSpec, ScriptParams, unresolved_warnings
from pyruns_tui.params.script_walker import ScriptWalker
from pyruns_tui.params.source_files import ModuleFinder

__all__ = ["CONFIGURATOR", "read_configurator"]

CONFIGURATOR = "configurator"  # ScriptParams.argv_style of such a script
_TYPES = {int: "int", float: "float", bool: "bool", str: "str"}  # exact types: bool is no int here


def _exec_path(stmt: ast.stmt) -> ast.expr | None:
    """The path expression of a top-level `exec(open(PATH).read())`, else None."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return None
    call = stmt.value
    if not (isinstance(call.func, ast.Name) and call.func.id == "exec" and len(call.args) == 1):
        return None
    read = call.args[0]
    if not (isinstance(read, ast.Call) and not read.args and isinstance(read.func, ast.Attribute)
            and read.func.attr == "read" and isinstance(read.func.value, ast.Call)):
        return None
    opened = read.func.value
    if isinstance(opened.func, ast.Name) and opened.func.id == "open" and len(opened.args) == 1:
        return opened.args[0]
    return None


def _module_name(path: str) -> str | None:
    """`configurator.py` -> `configurator`, `nanochat/configurator.py` -> `nanochat.configurator`."""
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    if not parts or not parts[-1].endswith(".py"):
        return None
    parts[-1] = parts[-1][:-3]
    return ".".join(parts) if all(part.isidentifier() for part in parts) else None


def is_overrider(source: str) -> bool:
    """Whether `source` is a `--key=value` configurator like nanoGPT's: it loops over
    `sys.argv[1:]`, evaluates values with `literal_eval` and assigns `globals()[key]`."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    loops = evaluates = assigns = False
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and ast.unparse(node.iter).replace(" ", "") == "sys.argv[1:]":
            loops = True
        elif isinstance(node, ast.Call) and (getattr(node.func, "id", None) == "literal_eval"
                                             or getattr(node.func, "attr", None) == "literal_eval"):
            evaluates = True
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Subscript) and ast.unparse(t.value) == "globals()" for t in node.targets):
            assigns = True
    return loops and evaluates and assigns


def _bound_names(stmts: list[ast.stmt]) -> dict[str, ast.stmt]:
    """Each name a module-level assignment binds (in `if`/`for`/`with`/`try` bodies too, not in a
    `def` or `class`) -> its first assignment statement, in the order globals() gets them."""
    out: dict[str, ast.stmt] = {}

    def targets(node: ast.expr, stmt: ast.stmt) -> None:
        if isinstance(node, ast.Name):
            out.setdefault(node.id, stmt)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                targets(elt, stmt)
        elif isinstance(node, ast.Starred):
            targets(node.value, stmt)

    def visit(stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                targets(target, stmt)
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) and (not isinstance(stmt, ast.AnnAssign) or stmt.value):
            targets(stmt.target, stmt)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            targets(stmt.target, stmt)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return  # (its own names are no globals; the function or class itself is no literal)
        for field in ("body", "orelse", "finalbody"):
            for inner in getattr(stmt, field, ()):
                visit(inner)
        for handler in getattr(stmt, "handlers", ()):
            for inner in handler.body:
                visit(inner)

    for stmt in stmts:
        visit(stmt)
    return out


def _value_type(node: ast.expr | None) -> str | None:
    """The type an expression of unknown value surely has: a literal, an f-string, `int(...)` and
    the like, or a conditional whose two branches have one type (nanoGPT's `dtype = 'bfloat16' if
    torch.cuda.is_bf16_supported() else 'float16'`)."""
    if isinstance(node, ast.Constant):
        return _TYPES.get(type(node.value))
    if isinstance(node, ast.JoinedStr):
        return "str"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("int", "float", "bool", "str"):
        return node.func.id
    if isinstance(node, ast.IfExp):
        body = _value_type(node.body)
        return body if body is not None and body == _value_type(node.orelse) else None
    return None


def _comments(source: str) -> tuple[dict[int, str], set[int]]:
    """(line -> its comment's text, the lines holding nothing but a comment)."""
    comments: dict[int, str] = {}
    alone: set[int] = set()
    lines = source.splitlines()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                row = token.start[0]
                comments[row] = token.string.lstrip("#").strip()
                if not lines[row - 1][:token.start[1]].strip():
                    alone.add(row)
    except (tokenize.TokenError, SyntaxError, IndexError):
        pass  # (the script parsed: a comment it cannot tokenize is only missing help)
    return comments, alone


def _heading(stmt: ast.stmt, comments: dict[int, str], alone: set[int]) -> list[str]:
    """The comment lines right above `stmt` (no blank line between) that hold words."""
    out: list[str] = []
    line = stmt.lineno - 1
    while line in alone:
        if any(ch.isalnum() for ch in comments[line]):
            out.insert(0, comments[line])
        line -= 1
    return out


def _help_and_groups(bindings: list[tuple[str, ast.stmt]], source: str) -> dict[str, tuple[str | None, str | None]]:
    """name -> (help, group): the comment on its line is its help; the comment line above names the
    group of it and the globals after it, up to the next such comment, unless it stands above one
    global without a comment of its own (then it is that one's help)."""
    comments, alone = _comments(source)
    headings = {name: _heading(stmt, comments, alone) for name, stmt in bindings}
    out: dict[str, tuple[str | None, str | None]] = {}
    group: str | None = None
    for index, (name, stmt) in enumerate(bindings):
        own = [comments[line] for line in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
               if line in comments and line not in alone]
        help_text = " ".join(own) or None
        above = headings[name]
        if above:
            run = 1
            while index + run < len(bindings) and not headings[bindings[index + run][0]]:
                run += 1
            if run == 1 and help_text is None:
                help_text = " ".join(above)
            else:
                group = above[-1]
        out[name] = (help_text, group)
    return out


def read_configurator(tree: ast.Module, source: str, filename: str, finder: ModuleFinder | None,
                      script_path: str | None = None) -> ScriptParams | None:
    """The parameters of a script that runs nanoGPT's configurator at its top level; None when it
    runs none. A configurator file pyr-tui cannot find or does not recognise gives no parameters,
    and one warning saying so."""
    found = next(((index, path) for index, stmt in enumerate(tree.body)
                  if (path := _exec_path(stmt)) is not None), None)
    if found is None:
        return None
    index, path_node = found
    stmt = tree.body[index]
    walker = ScriptWalker(source, filename, finder)  # (no parsers: it walks the globals' values)
    walker.script_path = script_path
    walker.run(ast.Module(body=tree.body[:index], type_ignores=[]))
    scope = walker.module_scope
    path = walker.try_eval(path_node, scope) if scope is not None else None
    where = f"{filename}:{stmt.lineno}"
    shown = repr(path) if isinstance(path, str) else walker.segment(path_node)
    name = _module_name(path) if isinstance(path, str) else None
    file = finder(name) if finder is not None and name is not None else None
    read = tuple(walker.files_read)
    if file is None or not file.local:
        return ScriptParams(kind="plain", files_read=read, warnings=(
            f"{where}: exec(open({shown}).read()) runs a file pyr-tui did not find next to the script or in its "
            "project; the script's parameters are not read (put it there and run `pyr-tui init` again)",))
    read = (*read, file.filename)
    if not is_overrider(file.source):
        return ScriptParams(kind="plain", files_read=read, warnings=(
            f"{where}: {file.filename} (run by exec) is not a --key=value configurator like nanoGPT's "
            "(a loop over sys.argv[1:], literal_eval, globals()[key] = ...); the script's parameters are not read",))
    assert scope is not None
    bindings = [(name, bound) for name, bound in _bound_names(tree.body[:index]).items()
                if not name.startswith("_") and name in scope.names]
    notes = _help_and_groups(bindings, source)
    specs = []
    warnings = list(walker.warnings)
    for name, bound in bindings:
        value = scope.names[name]
        node = getattr(bound, "value", None)
        resolved = type(value) in _TYPES
        type_name = _TYPES.get(type(value)) if resolved else _value_type(node)
        if type_name is None:
            continue  # not an int, float, bool or str: configurator.py does not set it
        env = [walker.env_reads[i] for i in sorted(scope.env.get(name, ()), key=lambda i: walker.env_sites[i][1])
               if i in walker.env_reads]
        help_text, group = notes[name]
        source_text = walker.default_text(node, value, scope) if isinstance(node, ast.expr) else None
        specs.append(ParamSpec(
            key=name, flags=(f"--{name}",), default=value if resolved else None, default_resolved=resolved,
            default_source=source_text if source_text is not None else repr(value),
            default_at=walker.default_place(node, value, scope) if isinstance(node, ast.expr) else walker.place(bound),
            type_name=None if type_name == "bool" and resolved else type_name,  # (a resolved bool: a switch)
            help=help_text, group=group, env_vars=tuple(dict.fromkeys(env))))
    warnings.extend(unresolved_warnings(specs))
    return ScriptParams(params=tuple(specs), kind="argparse", argv_style=CONFIGURATOR,
                        warnings=tuple(dict.fromkeys(warnings)), files_read=read)
