"""YOLOv5's segment/train.py: the root is one folder up."""

import argparse
import os
from pathlib import Path

FILE = Path(__file__).resolve()
ROOT = FILE.parents[1]
ROOT = Path(os.path.relpath(ROOT, Path.cwd()))

parser = argparse.ArgumentParser()
parser.add_argument("--weights", type=str, default=ROOT / "yolov5s-seg.pt")
parser.add_argument("--hyp", type=str, default=ROOT / "data" / "hyps" / "hyp.scratch-low.yaml")
parser.add_argument("--here", default=str(FILE.parent.relative_to(FILE.parents[1])) if False else FILE.parent.name)
opt = parser.parse_args()
