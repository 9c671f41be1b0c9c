"""Accuracy of `pyr-tui init`'s static argparse extraction on real training scripts.

Run: .venv/bin/python benchmarks/argparse_corpus.py CORPUS_DIR [MANIFEST]

The scripts are other people's code, so they are not in this repository: MANIFEST
(default: benchmarks/argparse_corpus/manifest.json) names each one by repository, commit and
path; CORPUS_DIR holds each repository's tree at that commit in `<owner>+<name>/` (export it with
`git archive COMMIT | tar -x -C CORPUS_DIR/owner+name`). For each script the truth is its REAL
parser run for an empty command line (tests/params/scripts/_probe.py, missing imports such as
torch replaced by stubs, the repository root on PYTHONPATH); the extraction reads the same files
statically. A default counts as right when it equals the truth (same type), or when the truth is
something only a running program has (a stub object: `torch.cuda.device_count()`) and the
extraction says unresolved. Prints one line per script and the totals; exit 1 if any script
could not be probed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pyruns_tui.params.argparse_ast import extract_params  # noqa: E402
from pyruns_tui.workspace.module_files import ModuleFiles  # noqa: E402
from tests.params.real_parser import strict_equal  # noqa: E402

PROBE = REPO / "tests" / "params" / "scripts" / "_probe.py"


def probe(script: Path, root: Path, parses: int, argv: list[str]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCAL_RANK", "RANK", "WORLD_SIZE"))}
    env.update(PYTHONPATH=str(root), PYRUNS_PROBE_STUBS="1")
    try:
        proc = subprocess.run([sys.executable, str(PROBE), str(script), str(parses)], input=json.dumps([argv]),
                              cwd=script.parent, capture_output=True, text=True, timeout=60, env=env)
    except subprocess.TimeoutExpired:
        return {"exit": "the real parser did not return within 60 s"}
    if proc.returncode != 0:
        return {"exit": proc.stderr.strip().splitlines()[-1:] or ["?"]}
    return json.loads(proc.stdout)[0]


def knowable(value: Any) -> bool:
    if isinstance(value, str):
        return "<stub " not in value and not value.startswith("<")
    if isinstance(value, list):
        return all(knowable(v) for v in value)
    if isinstance(value, dict):
        return all(knowable(v) for v in value.values())
    return True


_EXECUTING_EVENTS = ("exec", "import", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.fork")


class ExecutionWatch:
    """Counts code run or imported while the extraction works (an audit hook: `exec` fires for
    every module body and exec() call, `import` for every import), so "0 executions" is measured."""

    def __init__(self) -> None:
        self.active = False
        self.events: list[str] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if self.active and event in _EXECUTING_EVENTS:
            self.events.append(f"{event} {str(args[:1])[:80]}")


def main() -> int:
    corpus = Path(sys.argv[1])
    watch = ExecutionWatch()
    warm = Path(__file__).resolve()  # our own lazy imports happen before the watch starts
    extract_params(warm.read_text(), str(warm), finder=ModuleFiles(warm), script_path=str(warm), run_dir=str(warm.parent))
    manifest = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).with_name("argparse_corpus") / "manifest.json"
    entries = json.loads(manifest.read_text())
    total = right = broken = 0
    perfect = 0
    seconds: list[float] = []
    for entry in entries:
        root = corpus / entry["repo"].replace("/", "+")
        script = root / entry["script"]
        source, finder = script.read_text(encoding="utf-8"), ModuleFiles(script)
        start = time.perf_counter()
        watch.active = True
        sp = extract_params(source, str(script), finder=finder,
                            script_path=str(script.resolve()), run_dir=str(script.parent.resolve()))
        watch.active = False
        seconds.append(time.perf_counter() - start)
        result = probe(script, root, entry.get("parses", 1), entry.get("argv", []))
        if "ok" not in result:
            broken += 1
            print(f"PROBE FAILED  {entry['repo']}:{entry['script']}: {result}")
            continue
        skipped = set(entry.get("given", [])) | set(entry.get("not_parameters", []))  # required values passed on argv
        truth = {k: v for k, v in result["ok"].items() if k not in skipped}
        defaults = sp.defaults()
        misses = []
        for key, real in truth.items():
            specs = sp.specs_for(key)
            if not specs:
                misses.append(f"{key}: missing")
                continue
            resolved = specs[0].default_resolved
            ok = strict_equal(defaults[key], real) if resolved else not knowable(real)
            if not ok:
                misses.append(f"{key}: {defaults[key]!r} (resolved={resolved}) != {real!r}")
        extra = [k for k in sp.keys() if k not in truth and k not in skipped]
        total += len(truth)
        right += len(truth) - len(misses)
        perfect += not misses and not extra
        mark = "ok " if not misses and not extra else "MISS"
        print(f"{mark} {len(truth) - len(misses):4d}/{len(truth):<4d} {seconds[-1] * 1e3:6.1f} ms  "
              f"{entry['repo']}:{entry['script']}  files read: {len(sp.files_read)}")
        for miss in misses[:8]:
            print(f"       {miss}")
        if extra:
            print(f"       not in the real namespace: {', '.join(extra[:8])}")
    scripts = len(entries) - broken
    print(f"\n{right}/{total} defaults right ({100 * right / max(total, 1):.1f}%), {perfect}/{scripts} scripts perfect, "
          f"{broken} not probed; extraction median {sorted(seconds)[len(seconds) // 2] * 1e3:.1f} ms, "
          f"max {max(seconds) * 1e3:.1f} ms; code executed or imported while extracting: {len(watch.events)}")
    for event in watch.events[:10]:
        print(f"  {event}")
    return 1 if broken or watch.events else 0


if __name__ == "__main__":
    raise SystemExit(main())
