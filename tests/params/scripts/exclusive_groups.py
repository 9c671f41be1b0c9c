"""Train with mutually exclusive options: precision flags, a required mode, resume-or-init."""

import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)

precision = parser.add_mutually_exclusive_group()
precision.add_argument("--fp16", action="store_true", help="half precision")
precision.add_argument("--bf16", action="store_true", help="bfloat16")
precision.add_argument("--no-tf32", dest="tf32", action="store_false", help="plain float32 matmuls")

mode = parser.add_mutually_exclusive_group(required=True)
mode.add_argument("--train", action="store_true")
mode.add_argument("--evaluate", action="store_true")

weights = parser.add_argument_group("Weights")
start = weights.add_mutually_exclusive_group()
start.add_argument("--resume", default=None, help="checkpoint to resume")
start.add_argument("--init-from", default="imagenet", help="weights to start from")
start.add_argument("--warm", dest="start", action="store_const", const="warm")
start.add_argument("--cold", dest="start", action="store_const", const="cold")

parser.add_argument("--seed", type=int, default=0)

if __name__ == "__main__":
    args = parser.parse_args()
    print(vars(args))
