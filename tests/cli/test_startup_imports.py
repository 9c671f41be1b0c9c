"""What a command imports before it does its work: every `pyr-tui` command starts a fresh
interpreter, and a queue's first task waits for `run`'s imports. None of these is needed for a
command's work, and together they cost ~20 ms here: `inspect` (which `dataclasses` imports only
to write a docstring for a class that has none), `shutil` (which argparse's help formatter imports
for the terminal's width), `typing` (names for annotations only), `threading` (its C locks are
`_thread`'s), `ipaddress` (which `urllib.parse`, imported by `pathlib`, reads only for a URL's
bracketed host) and `datetime` (times are written with `time`; `ls` and `show` format dates
with it)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyruns_tui import cli
from tests.reliability.harness import cli_env, make_project

NOT_NEEDED = {"inspect", "shutil", "typing", "threading", "ipaddress"}


def imported(proj: Path, home: Path, *args: str) -> set[str]:
    """The modules `pyr-tui ARGS` imported, as `python -X importtime` lists them."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "pyruns_tui", *args], cwd=proj,
                          env=cli_env(home), capture_output=True, text=True, timeout=60)
    assert proc.returncode in (0, 1), proc.stderr
    return {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("args", [("ls",), ("show", "t_1-of-2"), ("wait", "t_1-of-2"), ("run", "nosuch"),
                                  ("run", "--help"), ("pin", "t_1-of-2")])
def test_a_command_runs_without_loading_what_it_does_not_need(tmp_path: Path, args: tuple[str, ...]) -> None:
    proj = make_project(tmp_path)
    modules = imported(proj, tmp_path / "home", *args)
    assert "pyruns_tui.cli" in modules  # the listing was read
    assert modules & (NOT_NEEDED if args[0] in ("ls", "show") else NOT_NEEDED | {"datetime"}) == set()
    if args == ("ls",):  # the metrics code only with a metric term or column (`ls` of 100,000 tasks stays quick)
        assert not {module for module in modules if module.startswith("pyruns_tui.metrics")}


def test_the_deferred_inspect_is_the_real_one_once_read(tmp_path: Path) -> None:
    code = ("import sys\nfrom pyruns_tui import cli\ncli._defer_inspect()\nimport dataclasses, inspect\n"
            "assert 'signature' not in vars(inspect)\n"
            "@dataclasses.dataclass\nclass NoDoc:\n    a: int\n"
            "print(NoDoc.__doc__, inspect.isclass(int), sys.modules['inspect'].__name__, "
            "type(sys.modules['inspect']).__name__, dataclasses.inspect.signature is sys.modules['inspect'].signature)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env=cli_env(tmp_path / "home"))
    assert out.stdout.split() == ["NoDoc(a:", "int)", "True", "inspect", "module", "True"], out.stderr


def test_the_deferred_ipaddress_is_read_when_a_url_needs_it(tmp_path: Path) -> None:
    urls = ("print(urllib.parse.urlsplit('http://[::1]:8080/x').hostname)\n"
            "try:\n    print(urllib.parse.urlsplit('http://[not-an-ip]/').hostname)\n"
            "except ValueError as exc:\n    print('refused')\n"
            "print(sys.modules['ipaddress'].ip_address('::1').version, type(sys.modules['ipaddress']).__name__)\n")
    deferred = ("import sys\nfrom pyruns_tui import program\nprogram.defer('ipaddress')\nimport pathlib, urllib.parse\n"
                "print(type(sys.modules['ipaddress']).__name__)\n" + urls)

    def output(code: str) -> list[str]:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                             env=cli_env(tmp_path / "home"))
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    # as without the stand-in, on every Python (3.11.4+ checks a bracketed host with ipaddress)
    assert output(deferred) == ["Deferred", *output("import sys, ipaddress, urllib.parse\n" + urls)]
    assert output(deferred)[1:] in (["::1", "not-an-ip", "6", "module"], ["::1", "refused", "6", "module"])


@pytest.mark.parametrize("columns", [None, "0", "junk", "57", "200"])
def test_the_help_width_is_shutils(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert cli._help_width() == shutil.get_terminal_size().columns - 2


def test_every_dataclass_has_a_docstring() -> None:
    """`dataclasses` reads `inspect` for a class without one (a signature docstring): in a command
    that defines one, the deferred import is paid after all."""
    src = Path(cli.__file__).parents[1]
    missing = [f"{path.relative_to(src)}: {node.name}" for path in sorted(src.rglob("*.py"))
               for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.ClassDef) and ast.get_docstring(node) is None
               and any("dataclass" in ast.unparse(d) for d in node.decorator_list)]
    assert missing == []
