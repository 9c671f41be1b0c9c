"""Test helper: run a script's REAL argparse on argv lists, print each namespace as JSON.

Usage: python _probe.py SCRIPT < [["--lr", "0.1"], []]   (JSON list of argv lists on stdin)
Each result is {"ok": vars(namespace)} or {"exit": code, "stderr": text}; the script stops
right after parsing (the outermost parse_known_args), so nothing else of it runs.
"""

import argparse
import contextlib
import io
import json
import runpy
import sys


class _Parsed(BaseException):
    def __init__(self, namespace):
        super().__init__()
        self.namespace = namespace


_original = argparse.ArgumentParser.parse_known_args
_depth = 0


def _hook(self, args=None, namespace=None):
    global _depth
    _depth += 1
    try:
        result = _original(self, args, namespace)
    finally:
        _depth -= 1
    if _depth == 0:
        raise _Parsed(result[0])
    return result


def main():
    argparse.ArgumentParser.parse_known_args = _hook
    script = sys.argv[1]
    results = []
    for argv in json.loads(sys.stdin.read()):
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
