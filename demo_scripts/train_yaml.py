"""A demo config-file script: its parameters come from `pr.load()`, not argparse.

Inside a pyruns-tui task `pr.load()` reads the task's config.yaml; run by hand it reads
`_pyruns_/train_yaml/config_default.yaml` when a workspace exists, else train_yaml.yaml
beside this file. The loss curve is simulated and deterministic for a given seed.

    python demo_scripts/train_yaml.py
    pyr-tui demo_scripts/train_yaml.py demo_scripts/train_yaml.yaml
"""

from __future__ import annotations

import math
import random
import sys
import time

import pyruns_tui as pr


def main() -> int:
    cfg = pr.load()
    rng = random.Random(cfg.seed)
    print(f"model={cfg.model.arch} depth={cfg.model.depth} optimizer={cfg.optim.name} "
          f"lr={cfg.optim.lr} batch_size={cfg.data.batch_size}", flush=True)
    total = max(1, cfg.epochs * cfg.steps)
    speed = 3.0 * min(1.0, float(cfg.optim.lr) / 1e-3) ** 0.5
    best_acc, step = 0.0, 0
    for epoch in range(1, cfg.epochs + 1):
        losses = []
        for _ in range(cfg.steps):
            step += 1
            loss = 0.1 + 2.3 * math.exp(-speed * step / total) * (1 + 0.05 * rng.gauss(0, 1))
            losses.append(loss)
            pr.log({"loss": loss}, step=step, stage="train")
            if cfg.step_time > 0:
                time.sleep(cfg.step_time)
        acc = min(0.99, 0.97 - 0.35 * sum(losses) / len(losses))
        best_acc = max(best_acc, acc)
        pr.log({"acc": acc}, step=step, stage="val")
        print(f"\x1b[32mepoch {epoch}/{cfg.epochs}\x1b[0m loss={losses[-1]:.4f} acc={acc:.4f}",
              flush=True)
    pr.summary({"best_acc": best_acc, "steps": step})
    return 0


if __name__ == "__main__":
    sys.exit(main())
