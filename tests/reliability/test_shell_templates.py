"""Shell templates: a value reaches the program as exactly one literal word (or part of one)
wherever its placeholder stands — unquoted, in '...', in "...", inside $(...) — checked against
a real `bash -c` with values of every character class; other contexts are refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pyruns_tui.errors import GridError
from pyruns_tui.params.grid import escape_literal
from pyruns_tui.workspace.generate import fill_command, plan_tasks

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")
MARKER = Path(f"/tmp/pyruns_injected_{uuid.uuid4().hex}")

# (template, the arguments printf receives for a value v)
TEMPLATES: list[tuple[str, object]] = [
    ("printf '%s\\0' {v}", lambda v: [v]),
    ('printf "%s\\0" "{v}"', lambda v: [v]),
    ("printf '%s\\0' '{v}'", lambda v: [v]),
    ("printf '%s\\0' \"a{v}b\" x{v}y 'c{v}d' --k={v}", lambda v: [f"a{v}b", f"x{v}y", f"c{v}d", f"--k={v}"]),
    ("printf '%s\\0' \"$(printf '%s.' {v})\"", lambda v: [v + "."]),
    ("printf '%s\\0' \"$(printf '%s.' \"{v}\")\" '$(x)'", lambda v: [v + ".", "$(x)"]),
    ("x={v}; printf '%s\\0' \"$x\"", lambda v: [v]),
    ("printf '%s\\0' {v} # comment {{v}}", lambda v: [v]),
    ("printf '%s\\0' \"${{HOME:-h}}\" {v} \\{{v}}", lambda v: [os.environ.get("HOME") or "h", v, "{v}"]),
]

SPECIALS = ["'", '"', "`", "$", "\\", "\n", "\r", "\t", " ", ";", "|", "&", "*", "?", "~", "{", "}", "(", ")",
            "<", ">", "!", "#", "%", "=", "[", "]", "\x1b", "\x7f", "\u0085", "\u00a0", "\u202e", "é", "\U0001f600"]
INJECTIONS = [f"$(touch {MARKER})", f"`touch {MARKER}`", f"'; touch {MARKER}; '", f'"; touch {MARKER}; "',
              f"\"$(touch {MARKER})\"", f"'$(touch {MARKER})'", f"\\'; touch {MARKER} #", f"\n touch {MARKER}",
              f"${{IFS}}touch${{IFS}}{MARKER}", "--k=v", "-n", ""]
VALUES = st.text(st.characters(min_codepoint=1, max_codepoint=0x10FFFF, blacklist_categories=("Cs",)), max_size=40)
MIXED = st.lists(st.one_of(VALUES, st.sampled_from(SPECIALS), st.sampled_from(INJECTIONS)), max_size=6).map("".join)


def _run(command: str) -> list[str]:
    done = subprocess.run([BASH, "-c", command], capture_output=True, timeout=20, env={"PATH": os.environ["PATH"],
                          "HOME": os.environ.get("HOME", "")})
    assert done.returncode == 0, (command, done.stderr)
    return done.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1]


@settings(max_examples=int(os.environ.get("SHELL_FUZZ_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(MIXED, st.integers(0, len(TEMPLATES) - 1))
@example("$(touch M)", 1)
def test_every_value_is_one_literal_word_in_bash(value: str, which: int) -> None:
    template, expected = TEMPLATES[which]
    command = fill_command(template, {"v": value})
    assert _run(command) == expected(value)  # type: ignore[operator]
    assert not MARKER.exists(), f"injection through {template!r}"


def test_the_issue_examples_no_longer_inject() -> None:
    for template in ('echo "{v}"', "echo '{v}'", "echo {v}", 'echo "x{v}"y'):
        for value in INJECTIONS:
            _run(fill_command(template, {"v": value}) + " >/dev/null")
    assert not MARKER.exists()


def test_lists_are_one_word_per_item_unquoted_and_one_word_in_quotes() -> None:
    assert _run(fill_command("printf '%s\\0' {v}", {"v": ["a b", "$(x)"]})) == ["a b", "$(x)"]
    assert _run(fill_command("printf '%s\\0' \"{v}\"", {"v": ["a b", "$(x)"]})) == ["a b $(x)"]


@pytest.mark.parametrize("template", [
    "echo `echo {v}`", "echo ${X:-{v}}", "echo $((1 + {v}))", "(( x = {v} ))", "echo $'{v}'",
    "echo # {v}", "cat <<EOF\n{v}\nEOF", "[[ {v} -eq 1 ]]", "echo \\{v}", "echo \"\\{v}\"",
    "echo \"`echo {v}`\"",
])
def test_contexts_without_literal_quoting_are_refused(template: str) -> None:
    with pytest.raises(GridError, match=r"command placeholder \{v\} stands"):
        fill_command(template, {"v": "x"})


@pytest.mark.parametrize("template", ["echo \"{v}", "echo '{v}", "echo $(echo {v}", "echo {v} \\"])
def test_unterminated_templates_are_refused(template: str) -> None:
    with pytest.raises(GridError, match="ends inside"):
        fill_command(template, {"v": "x"})


def test_a_nul_byte_is_refused_with_one_line() -> None:
    with pytest.raises(GridError, match="NUL"):
        fill_command("echo {v}", {"v": "a\0b"})


def test_gen_refuses_before_writing(tmp_path: Path) -> None:
    with pytest.raises(GridError):
        plan_tasks({"command": "echo `{v}`", "params": {"v": escape_literal("x")}}, shell=True)


def test_shell_braces_that_are_no_parameter_say_how_to_write_them() -> None:
    # `awk '{print $1}'` in a template: "placeholder {print $1} has no parameter", and no word of `{{ }}`
    with pytest.raises(GridError, match=r"has no parameter \(parameters: v\); write braces meant for the shell doubled"):
        fill_command("echo a b | awk '{print $1}' {v}", {"v": 1})
    assert fill_command("echo a b | awk '{{print $1}}' {v}", {"v": 1}) == "echo a b | awk '{print $1}' 1"
