import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--local_rank", type=int, default=os.getenv("LOCAL_RANK", 0))
parser.add_argument("--world-size", type=int, default=int(os.environ.get("WORLD_SIZE", 1)))
parser.add_argument("--data", default=os.environ.get("DATA_DIR"))
args = parser.parse_args()
