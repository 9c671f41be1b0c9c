"""A test script for the Generator: an unresolved default, a list (append) and a positional."""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--workers", type=int, default=os.cpu_count(), help="data loader processes")
parser.add_argument("--layer", action="append", type=int, default=[], help="hidden layer widths")
parser.add_argument("--name", type=str, default="run", help="a free-form name")
parser.add_argument("--verbose", action="store_true", help="print more")
args = parser.parse_args()
print(args)
