import argparse

parser = argparse.ArgumentParser(description="options module")
parser.add_argument("--gpu_ids", type=str, default="0")
parser.add_argument("--name", type=str, default="experiment_name")
parser.add_argument("--niter", type=int, default=100)
