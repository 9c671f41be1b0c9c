"""The part of the walker that reads beyond the script: imported modules and the environment.

A script's parser often comes from its project's other files (`from utils import
get_args_parser`), from an installed package (`detectron2.engine.default_argument_parser`), or
takes defaults from environment variables. The walker reads those modules' source (through a
`ModuleFinder`, never importing them), walks their top level once, and runs their functions in
the context of their own file; environment reads give the fallback an empty environment gives.
"""

from __future__ import annotations

import ast
import contextlib
import re
import sys
from dataclasses import dataclass
from typing import Any, Iterator

from pyruns_tui.params.script_scan import relevant_functions
from pyruns_tui.params.source_files import MAX_FILES, MAX_TOTAL_BYTES, ModuleFinder, ModuleNS, SourceFile, absolute_name
from pyruns_tui.params.static_eval import StaticEvaluator
from pyruns_tui.params.static_values import UNKNOWN, ModuleAttr, ModuleRef, Scope, Unresolved

__all__ = ["ModuleWalker", "FileState", "ENV_READERS"]

# an installed package is read only for calls like these (or calls given a parser): reading
# every library a script touches would cost seconds and find nothing
_PARSER_BUILDER_NAME = re.compile(r"(?i)pars|arg|opt|flag")
ENV_READERS = {("os", "getenv"), ("os.environ", "get")}
_STDLIB = frozenset(sys.stdlib_module_names)
_ARGPARSE_PUBLIC = ("ArgumentParser", "BooleanOptionalAction", "Action", "FileType",
                    "Namespace", "SUPPRESS", "OPTIONAL", "ZERO_OR_MORE", "ONE_OR_MORE",
                    "REMAINDER")


@dataclass(eq=False)
class FileState:
    """What the walker needs of the file it is in: source for segments, relevance scans."""

    filename: str
    source: str
    byte_lines: list[bytes]
    lines: list[str]
    relevant_ids: set[int]
    relevant_names: set[str]
    file: SourceFile | None = None  # None for the script itself
    tree: ast.Module | None = None  # its parsed module (what a module-level pattern is looked for in)


@dataclass(frozen=True)
class LazyImport:
    """A name an import statement bound, read from its module when first used."""

    module: str  # absolute dotted name
    attr: str | None  # None for `import module`
    installed: bool  # whether an installed package may be read for it


def _module_scope(scope: Scope) -> Scope:
    while scope.parent is not None:
        scope = scope.parent
    return scope


def _public_names(ns: ModuleNS) -> list[str]:
    """What `from module import *` takes: `__all__`, else the names not starting with `_`."""
    public = ns.names.get("__all__")
    if isinstance(public, (list, tuple)) and all(isinstance(n, str) for n in public):
        return list(public)
    return [n for n in ns.names if not n.startswith("_")]


class ModuleWalker(StaticEvaluator):
    """Imports and environment reads for a statement walker (ScriptWalker builds on it)."""

    def __init__(self, source: str, filename: str, finder: ModuleFinder | None) -> None:
        super().__init__(source)
        self.filename = filename
        self.finder = finder
        self.modules: dict[str, ModuleNS | None] = {}  # None: not found, or being read
        self.files_read: list[str] = []
        self.bytes_read = 0
        self.out_of_files = False
        self.notes: list[str] = []  # what was read from where (shown like warnings)
        self.env_reads: dict[int, str] = {}  # id(call node) -> environment variable read
        self.env_sites: dict[int, tuple[str, int]] = {}  # id(call node) -> (file, line)
        # what environment reads flow into: every read, and every use of a value that came from
        # one, is logged (its reads' ids); a statement looks at what was logged while it ran
        self.env_log: list[int] = []
        self.env_fed: set[int] = set()  # reads whose values reached a parser (warned about)
        self.attr_env: dict[str, frozenset[int]] = {}  # `obj.attr` (as attr_bindings) -> reads
        self.lines: list[str] = []
        self.relevant_ids: set[int] = set()
        self.relevant_names: set[str] = set()
        self.frames: list[Any] = []
        self.uncertain = 0
        self.statement: ast.stmt | None = None  # the statement walked now (in `filename`), for warnings
        self.state = self._current_state(None)

    def exec_block(self, stmts: list[ast.stmt], scope: Scope) -> bool:
        raise NotImplementedError

    def warn_at(self, lineno: int, text: str) -> None:
        raise NotImplementedError

    def warn_place(self, place: str, text: str) -> None:
        raise NotImplementedError

    def is_parser_object(self, value: Any) -> bool:
        raise NotImplementedError

    def _current_state(self, file: SourceFile | None) -> FileState:
        return FileState(self.filename, self.source, self._lines, self.lines, self.relevant_ids,
                          self.relevant_names, file)

    @contextlib.contextmanager
    def _in_file(self, state: FileState) -> Iterator[None]:
        """Walk with `state` as the current file (segments, warnings, relevance), then back."""
        before = self.state
        self._enter(state)
        try:
            yield
        finally:
            self._enter(before)

    def _enter(self, state: FileState) -> None:
        self.state = state
        self.filename, self.source, self._lines = state.filename, state.source, state.byte_lines
        self.lines, self.relevant_ids, self.relevant_names = (state.lines, state.relevant_ids,
                                                              state.relevant_names)

    def load_module(self, name: str, *, installed: bool) -> ModuleNS | None:
        """The module `name` read statically (its top level walked once), or None when it
        cannot be found, is an installed package and `installed` is False, or limits are hit."""
        if self.finder is None or not name:
            return None
        if name in self.modules:
            return self.modules[name]
        file = self.finder(name)
        if file is None:
            self.modules[name] = None
            return None
        if not (file.local or installed):
            return None  # not cached: a later call that may read installed packages can
        self.modules[name] = None  # while it is read (import cycles see "not found")
        if len(self.files_read) >= MAX_FILES or self.bytes_read + len(file.source) > MAX_TOTAL_BYTES:
            if not self.out_of_files:
                self.out_of_files = True
                self.warn_at(getattr(self.statement, "lineno", 0),
                             f"too many modules to read ({MAX_FILES}); {name} and later imports are not followed")
            return None
        try:
            tree = ast.parse(file.source, filename=file.filename)
        except SyntaxError as exc:  # said at its own line, as the script's would be
            self.warn_place(f"{file.filename}:{exc.lineno or 0}", f"syntax error: {exc.msg}; names imported from "
                                                                  "it are unknown (fix the module)")
            return None
        except (ValueError, RecursionError, MemoryError):
            self.warn_at(getattr(self.statement, "lineno", 0), f"{file.filename}: cannot parse; names imported "
                                                                "from it are unknown")
            return None
        self.files_read.append(file.filename)
        self.bytes_read += len(file.source)
        ns = ModuleNS(file)
        lines = file.source.splitlines()
        ids, names = relevant_functions(tree, lines)
        state = FileState(file.filename, file.source,
                           [line.encode("utf-8", "surrogatepass") for line in file.source.splitlines(keepends=True)],
                           lines, ids, names, file, tree)
        scope = Scope()
        scope.names["__name__"] = name
        if file.filename.endswith(".py"):
            scope.names["__file__"] = file.filename
        frames, uncertain, logged = self.frames, self.uncertain, len(self.env_log)
        self.frames, self.uncertain = [], 0  # a module's top level is not inside the caller
        try:
            with self._in_file(state):
                self.exec_block(tree.body, scope)
        finally:
            self.frames, self.uncertain = frames, uncertain
            del self.env_log[logged:]  # nor are its environment reads: a name used from it brings its own (ns.env)
        ns.names, ns.stars, ns.env, ns.sites = scope.names, scope.stars, scope.env, scope.sites
        self.modules[name] = ns
        return ns

    def place(self, node: ast.AST) -> str:
        """`FILE:LINE` of `node` in the file walked now, as warnings start (`train.py:12`)."""
        return f"{self.filename}:{getattr(node, 'lineno', 0)}"

    def default_place(self, node: ast.expr, value: Any, scope: Scope) -> str:
        """Where a default's value comes from, to say where one that cannot be known is: the line
        that bound the name it reads (`default=WORKERS`, `default=consts.WORKERS`, imported: that
        module's `WORKERS = os.cpu_count()`) when that binding is what is unknown, else its own."""
        if value is UNKNOWN:
            site = self._unknown_site(node, scope, 0)
            if site is not None:
                return site
        return self.place(node)

    def _unknown_site(self, node: ast.expr, scope: Scope, depth: int) -> str | None:
        if isinstance(node, ast.Name):
            home = scope.home(node.id)
            if home is None:
                return None
            if node.id in home.sites:
                return home.sites[node.id]
            bound = home.names[node.id]
            if isinstance(bound, LazyImport) and bound.attr is not None:
                return self._module_site(self.modules.get(bound.module), bound.attr, depth)
            return None
        if isinstance(node, ast.Attribute) and isinstance(node.value, (ast.Name, ast.Attribute)):
            owner = self.try_eval(node.value, scope)  # (a module: `consts`, `pkg.consts`)
            return self._module_site(owner if isinstance(owner, ModuleNS) else None, node.attr, depth)
        return None

    def _module_site(self, ns: ModuleNS | None, attr: str, depth: int) -> str | None:
        """Where the module `ns` bound `attr` UNKNOWN, following `from a import X` chains a few steps."""
        if ns is None or depth > 8:
            return None
        if attr in ns.sites:
            return ns.sites[attr]
        bound = ns.names.get(attr)
        if isinstance(bound, LazyImport) and bound.attr is not None:
            return self._module_site(self.modules.get(bound.module), bound.attr, depth + 1)
        return None

    def _package(self) -> str:
        return self.state.file.package if self.state.file is not None else ""

    def _installed_ok(self, name: str) -> bool:
        """Inside an installed package, its own modules are read like local ones (not others)."""
        file = self.state.file
        return file is not None and not file.local and name.split(".")[0] == file.name.split(".")[0]

    def module_attribute(self, ns: ModuleNS, attr: str) -> Any:
        """`module.attr`: a top-level name (star imports included), else a submodule, else Unresolved."""
        if attr in ns.names:
            if attr in ns.env:
                self.env_log.extend(ns.env[attr])
            return self.resolve(ns.names[attr])
        for star in ns.stars:
            source = self.load_module(star, installed=not ns.file.local)
            if source is not None and attr in _public_names(source):
                return self.module_attribute(source, attr)
        sub = self.load_module(f"{ns.file.name}.{attr}", installed=not ns.file.local)
        if sub is not None:
            return sub
        raise Unresolved(attr)

    def resolve(self, value: Any) -> Any:
        """A name bound by an import, read now that it is used (imports are read lazily: a
        project's package `__init__` often imports everything, and most of it never matters)."""
        if not isinstance(value, LazyImport):
            return value
        ns = self.load_module(value.module, installed=value.installed)
        if value.attr is None:
            return ns if ns is not None else ModuleRef(value.module)
        try:
            if ns is not None:
                return self.module_attribute(ns, value.attr)
            return self.attribute(ModuleRef(value.module), value.attr)
        except Unresolved:
            return UNKNOWN

    def exec_Import(self, stmt: ast.Import, scope: Scope) -> bool:
        for alias in stmt.names:
            name = alias.name if alias.asname else alias.name.split(".")[0]
            if self.finder is None or name.split(".")[0] in _STDLIB:
                scope.bind(alias.asname or name, ModuleRef(name))
            else:
                scope.bind(alias.asname or name, LazyImport(name, None, self._installed_ok(name)))
        return False

    def exec_ImportFrom(self, stmt: ast.ImportFrom, scope: Scope) -> bool:
        dotted = absolute_name(stmt.module, stmt.level, self._package()) or ""
        followed = bool(dotted) and self.finder is not None and dotted.split(".")[0] not in _STDLIB
        module = ModuleRef(stmt.module or "") if stmt.level == 0 else ModuleRef("")
        names = stmt.names
        if module.name == "argparse" and any(alias.name == "*" for alias in names):
            names = [ast.alias(name=n) for n in _ARGPARSE_PUBLIC]
        for alias in names:
            if alias.name == "*":
                if followed:
                    _module_scope(scope).stars.append(dotted)
                continue
            if followed:
                value: Any = LazyImport(dotted, alias.name, self._installed_ok(dotted))
            else:
                try:
                    value = self.attribute(module, alias.name)
                except Unresolved:
                    value = UNKNOWN
                if module.name == "os" and alias.name == "path":
                    value = ModuleRef("os.path")
            scope.bind(alias.asname or alias.name, value)
        return False

    def star_lookup(self, scope: Scope, name: str) -> Any:
        """A name a star import brought into the module of `scope`; Unresolved if none did."""
        for star in _module_scope(scope).stars:
            source = self.load_module(star, installed=self._installed_ok(star))
            if source is not None and name in _public_names(source):
                return self.module_attribute(source, name)
        raise Unresolved(name)

    def _read_environment(self, node: ast.Call, scope: Scope) -> Any:
        """`os.getenv(NAME, fallback)` / `os.environ.get(...)`: the fallback, as for an empty
        environment (how the defaults are shown); the variable's name is remembered."""
        args, kwargs = self.strict_args(node, scope)
        name = args[0] if args else kwargs.get("key")
        if not isinstance(name, str):
            raise Unresolved("environment variable of unknown name")
        self.env_reads[id(node)] = name
        self.env_sites.setdefault(id(node), (self.filename, node.lineno))
        self.env_log.append(id(node))
        return args[1] if len(args) > 1 else kwargs.get("default")

    def _installed_function(self, attr: ModuleAttr, node: ast.Call, scope: Scope) -> Any:
        """A function of an installed package, read when it may build or fill a parser."""
        if self.finder is None:
            return attr
        passes_parser = any(self.is_parser_object(self.try_eval(a, scope)) for a in node.args
                            if isinstance(a, ast.Name))
        if not (passes_parser or _PARSER_BUILDER_NAME.search(attr.attr)):
            return attr
        ns = self.load_module(attr.module, installed=True)
        try:
            return self.module_attribute(ns, attr.attr) if ns is not None else attr
        except Unresolved:
            return attr
