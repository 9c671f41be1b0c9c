"""Hyper-parameter sweep target: arguments declared in loops and from dicts."""

import argparse
import os

LOSS_WEIGHTS = [("cls", 1.0, "classification"), ("box", 5.0, "box regression"),
                ("obj", 0.5 * 2, "objectness")]
OPTIONS = {"momentum": {"type": float, "default": 0.9},
           "nesterov": {"action": "store_true"}}


def load_extra_names():
    return [n for n in os.environ.get("EXTRA_ARGS", "").split(",") if n]


parser = argparse.ArgumentParser()
for name, weight, what in LOSS_WEIGHTS:
    parser.add_argument(f"--{name}-weight", type=float, default=weight,
                        help=f"weight of the {what} loss")
for name, kwargs in OPTIONS.items():
    parser.add_argument("--" + name, **kwargs)
[parser.add_argument(f"--aug-{k}", type=float, default=0.0) for k in ("hflip", "mosaic")]
for extra in load_extra_names():
    parser.add_argument(f"--{extra}")
parser.add_argument("--optimizer", default="sgd")

if __name__ == "__main__":
    print(parser.parse_args())
