"""A planted workspace: a `_pyruns_` folder (or its settings, whose `python:` runs as you) that
another user owns or can write, found in a parent directory such as /tmp, is refused with one
line naming the fix, and nothing of it runs, unless the user opts in (PYRUNS_TUI_SAFE_DIRECTORIES)."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.harness import assert_clean_error, make_project, pyr

NOBODY = 65534
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")


def _plant(tmp_path: Path) -> tuple[Path, Path, Path]:
    """/tmp-like sticky dir holding a project made by another user whose settings run `evil.sh`."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    proj = make_project(shared)
    marker = tmp_path / "pwned"
    evil = shared / "evil.sh"
    evil.write_text(f"#!/bin/sh\ntouch {marker}\nexec python3 \"$@\"\n")
    evil.chmod(0o755)
    (proj / "_pyruns_" / "_pyruns_settings.yaml").write_text(f"python: {evil}\n")
    victim = proj / "mine"
    victim.mkdir()
    shutil.copy(proj / "train.py", victim / "train.py")
    return proj, victim, marker


def _chown_tree(path: Path, uid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            os.lchown(name, uid, uid)


ATTACKS: dict[str, Callable[[Path], None]] = {
    "owned_by_another_user": lambda root: _chown_tree(root, NOBODY),
    "world_writable": lambda root: root.chmod(0o777),
    "group_writable": lambda root: (os.chown(root, 0, 100), root.chmod(0o775)),
    "settings_owned_by_another_user": lambda root: os.chown(root / "_pyruns_settings.yaml", NOBODY, NOBODY),
    "settings_world_writable": lambda root: (root / "_pyruns_settings.yaml").chmod(0o666),
    "settings_symlinked": lambda root: ((root / "_pyruns_settings.yaml").rename(root.parent / "s.yaml"),
                                        (root / "_pyruns_settings.yaml").symlink_to(root.parent / "s.yaml")),
}
COMMANDS = [("ls",), ("run", "t_1-of-2", "--wait"), ("init", "train.py"), ("gen", "SPEC", "--run")]


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_planted_workspace_is_refused_and_runs_nothing(tmp_path: Path, attack: str) -> None:
    proj, victim, marker = _plant(tmp_path)
    ATTACKS[attack](proj / "_pyruns_")
    spec = tmp_path / "spec.yaml"
    spec.write_text("seed: 3\n")
    for args in COMMANDS:
        result = pyr(victim, *[str(spec) if a == "SPEC" else a for a in args], home=tmp_path / "home")
        assert_clean_error(result, 1)
        assert "PYRUNS_TUI_SAFE_DIRECTORIES=" in result.err and "_pyruns_" in result.err, result.err
    assert not marker.exists(), "the planted settings' python ran"
    assert not (victim / "_pyruns_").exists()


@pytest.mark.parametrize("trusted", ["PROJ", "ROOT", "*"])
def test_opting_in_trusts_a_shared_workspace(tmp_path: Path, trusted: str) -> None:
    proj, victim, marker = _plant(tmp_path)
    (proj / "_pyruns_" / "_pyruns_settings.yaml").write_text("max_concurrency: 2\n")
    (proj / "_pyruns_").chmod(0o777)
    value = {"PROJ": str(proj), "ROOT": str(proj / "_pyruns_"), "*": "*"}[trusted]
    result = pyr(victim, "ls", home=tmp_path / "home", env={"PYRUNS_TUI_SAFE_DIRECTORIES": value})
    assert_clean_error(result, 0)
    assert "t_1-of-2" in result.out


def test_a_private_group_may_write(tmp_path: Path) -> None:
    proj = make_project(tmp_path)
    root = proj / "_pyruns_"
    root.chmod(0o775)  # umask 002 with root's own group: not a planted workspace
    assert stat.S_IMODE(root.stat().st_mode) == 0o775
    assert_clean_error(pyr(proj, "ls"), 0)
