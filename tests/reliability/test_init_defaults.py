"""`init` on a script whose defaults JSON cannot hold: NaN and ±inf are stored as the contracts
module spells them and reach the task unchanged; a set, bytes, an object... become unresolved."""

from __future__ import annotations

import json
from pathlib import Path

from tests.reliability.harness import pyr

SCRIPT = '''import argparse, decimal
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=float("nan"))
p.add_argument("--hi", type=float, default=float("inf"))
p.add_argument("--lo", type=float, default=-float("inf"))
p.add_argument("--big", type=float, default=1e400)
p.add_argument("--s", default={1, 2})
p.add_argument("--b", default=b"xy")
p.add_argument("--o", default=object())
p.add_argument("--c", default=1j)
p.add_argument("--d", default={1: "a"})
p.add_argument("--dec", default=decimal.Decimal("1.5"))
p.add_argument("--k", type=float, choices=[float("nan"), 1.0], default=1.0)
p.add_argument("--m", action="store_const", const=float("inf"))
a = p.parse_args()
print("GOT", repr(a.lr), repr(a.hi), repr(a.lo), repr(a.big))
'''


def test_non_json_defaults_init_and_run(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "train.py").write_text(SCRIPT)
    result = pyr(proj, "init", "train.py")
    assert result.code == 0 and "Traceback" not in result.err, result.err[-3000:]
    info = json.loads((proj / "_pyruns_" / "train" / "script_info.json").read_text())
    defaults = {p["key"]: (p["default"], p["default_resolved"]) for p in info["params"]}
    assert defaults["lr"] == ("NaN", True) and defaults["hi"] == ("Infinity", True)
    assert defaults["lo"] == ("-Infinity", True) and defaults["big"] == ("Infinity", True)
    assert all(defaults[k] == (None, False) for k in ("s", "b", "o", "c", "d", "dec"))
    assert pyr(proj, "ls").code == 0
    try:
        result = pyr(proj, "gen", "_pyruns_/train/config_default.yaml", "-n", "t", "--run")
        assert result.code == 0, result.err
        done = pyr(proj, "wait", "t", timeout=120)
        assert done.code == 0, (done.out, done.err)
        log = pyr(proj, "log", "--plain", "t")
        assert "GOT nan inf -inf inf" in log.out, (log.out, log.err)
    finally:
        pyr(proj, "runner", "stop")
