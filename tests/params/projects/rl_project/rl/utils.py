import argparse
import os


def strtobool(text):
    return text.lower() in ("y", "yes", "true", "1")


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exp-name", type=str, default=os.path.basename(__file__).rstrip(".py"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--torch-deterministic", type=lambda x: bool(strtobool(x)), default=True, nargs="?", const=True)
    parser.add_argument("--total-timesteps", type=int, default=25000)
    parser.add_argument("--learning-rate", type=float, default=2.5e-4)
    args = parser.parse_args()
    return args
