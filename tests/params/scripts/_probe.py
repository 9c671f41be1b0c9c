"""Test helper: run a script's REAL argparse on argv lists, print each namespace as JSON.

Usage: python _probe.py SCRIPT [PARSES] < [["--lr", "0.1"], []]   (JSON list of argv lists on stdin)
Each result is {"ok": vars(namespace)} or {"exit": code, "stderr": text}; the script stops
right after parsing (the PARSES-th outermost parse_known_args, default 1; a script with a
`--config` pre-pass parses twice: the namespaces are merged, the later one winning), so nothing
else of it runs. The script's folder is on sys.path, as when Python runs it.
"""

import argparse
import contextlib
import io
import abc
import importlib.abc
import importlib.machinery
import json
import os
import runpy
import types
import sys


class _Parsed(BaseException):
    def __init__(self, namespace):
        super().__init__()
        self.namespace = namespace


_original = argparse.ArgumentParser.parse_known_args
_depth = 0
_wanted = 1
_seen = []


def _hook(self, args=None, namespace=None):
    global _depth
    _depth += 1
    try:
        result = _original(self, args, namespace)
    finally:
        _depth -= 1
    if _depth == 0:
        _seen.append(vars(result[0]))
        if len(_seen) == _wanted:
            merged = {}
            for ns in _seen:
                merged.update(ns)
            raise _Parsed(argparse.Namespace(**merged))
    return result


_STUB_CLASSES = {}


class _StubMeta(abc.ABCMeta):
    """The class of a stub base class: class-level attributes (`Cls.register(...)`) are stubs too."""

    def __getattr__(cls, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return _Stub(f"{cls.__name__}.{attr}")


class _Version(str):
    """A stub module's `__version__`: equal to any version a script asserts."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = str.__hash__


class _Stub:
    """Stands for anything of a module that is not installed (torch, numpy...): every use works."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return _Stub(f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]  # a decorator keeps the function
        return _Stub(f"{self._name}()")

    def __mro_entries__(self, bases):
        # one empty class per stub name: `class A(nn.Module, B)` gets a consistent MRO
        if self._name not in _STUB_CLASSES:
            _STUB_CLASSES[self._name] = _StubMeta(self._name.rsplit(".", 1)[-1], (), {
                "__init__": lambda self, *args, **kwargs: None,
                "__getattr__": lambda self, attr: _Stub(attr)})
        return (_STUB_CLASSES[self._name],)

    def __int__(self):
        return 1

    __index__ = __int__

    def __float__(self):
        return 1.0

    def __len__(self):
        return 0

    def __iter__(self):
        return iter(())

    def __getitem__(self, key):
        return _Stub(f"{self._name}[]")

    def __repr__(self):
        return f"<stub {self._name}>"

    def __bool__(self):
        return True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def _op(self, *args):
        return _Stub(self._name)

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __floordiv__ = _op
    __mod__ = __pow__ = __neg__ = __or__ = __and__ = _op


class _StubModule(types.ModuleType):
    __version__ = _Version("99.0.0")

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return _Stub(f"{self.__name__}.{attr}")


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last on sys.meta_path: a module nothing else finds becomes a stub (PYRUNS_PROBE_STUBS=1)."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in sys.stdlib_module_names:
            return None  # a platform's own module (_winapi on Linux) stays missing
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec):
        module = _StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def main():
    global _wanted
    if os.environ.get("PYRUNS_PROBE_STUBS") == "1":
        sys.meta_path.append(_StubFinder())
        with contextlib.suppress(ImportError):
            import packaging.version  # noqa: F401  (torch imports it; scripts that use it rely on that)
    argparse.ArgumentParser.parse_known_args = _hook
    script = sys.argv[1]
    _wanted = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    results = []
    for argv in json.loads(sys.stdin.read()):
        _seen.clear()
        sys.argv = [script, *argv]
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                runpy.run_path(script, run_name="__main__")
        except _Parsed as parsed:
            results.append({"ok": vars(parsed.namespace)})
        except SystemExit as exc:
            results.append({"exit": str(exc.code), "stderr": err.getvalue()})
        except Exception as exc:  # a broken test script: report it instead of dying
            results.append({"exit": f"{type(exc).__name__}: {exc}", "stderr": err.getvalue()})
        else:
            results.append({"exit": "no parse_args call", "stderr": err.getvalue()})
    json.dump(results, sys.stdout, default=str)


if __name__ == "__main__":
    main()
