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
import json
import os
import runpy
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


def main():
    global _wanted
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
