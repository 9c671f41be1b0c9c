"""Defaults built from the script's own location and the working directory (YOLOv5's idiom),
a sibling module's `__file__`, a port from the user id (detectron2), and a dict of defaults
filtered by a function's signature (guided-diffusion)."""

import argparse
import inspect
import os
import sys
from pathlib import Path

from paths_util import CONFIG_DIR, model_defaults

FILE = Path(__file__).resolve()
ROOT = FILE.parents[0]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
ROOT = Path(os.path.relpath(ROOT, Path.cwd()))
HERE = os.path.dirname(os.path.abspath(__file__))


def create_model(depth, width, dropout=0.1):
    return depth, width, dropout


def defaults():
    res = model_defaults()
    names = inspect.getfullargspec(create_model)[0]
    for k in res.copy().keys():
        if k not in names:
            del res[k]
    return res


def parse_opt():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", type=str, default=ROOT / "yolov5s.pt")
    parser.add_argument("--data", type=str, default=ROOT / "data/coco128.yaml")
    parser.add_argument("--project", default=ROOT / "runs/train")
    parser.add_argument("--name", default=FILE.stem + "-" + FILE.with_suffix(".yaml").name)
    parser.add_argument("--configs", default=os.path.join(HERE, "configs"))
    parser.add_argument("--shared-configs", default=CONFIG_DIR)
    parser.add_argument("--cache-dir", default=str(Path.home() / ".cache"))
    port = 2**15 + 2**14 + hash(os.getuid() if sys.platform != "win32" else 1) % 2**14
    parser.add_argument("--dist-url", default="tcp://127.0.0.1:{}".format(port))
    parser.add_argument("--run-tag", default=hash("text") % 100)
    for k, v in defaults().items():
        parser.add_argument(f"--{k}", type=type(v), default=v)
    return parser.parse_args()


if __name__ == "__main__":
    opt = parse_opt()
