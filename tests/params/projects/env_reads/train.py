"""Environment reads beside a parser: YOLOv5's (train.py, lines 99-101 and its training loop),
which never reach the parser, and reads that do, through a variable, a container, an attribute,
a module of the project, a function's parameter default, a test deciding what is added and the
names of arguments."""

import argparse
import os

from settings import DATA_ROOT, LOG_LEVEL

LOCAL_RANK = int(os.getenv("LOCAL_RANK", "-1"))  # https://pytorch.org/docs/stable/elastic/run.html
RANK = int(os.getenv("RANK", "-1"))
WORLD_SIZE = int(os.getenv("WORLD_SIZE", "1"))
CACHE = os.environ.get("CACHE_DIR", "/tmp/cache")
SEEDS = {"seed": int(os.getenv("SEED", "0"))}


class Options:
    pass


OPT = Options()
OPT.port = os.getenv("MASTER_PORT", "29500")


def train(hyp, opt, device, callbacks):
    batch_size = opt.batch_size
    if RANK in {-1, 0}:
        callbacks.run("on_pretrain_routine_start")
    for epoch in range(opt.epochs):
        callbacks.run("on_train_epoch_start")
        if RANK != -1:
            batch_size = batch_size // WORLD_SIZE
        ckpt = {"epoch": epoch, "rank": LOCAL_RANK}
        del ckpt
    print(LOG_LEVEL)


def add_loader_args(parser, workers=os.getenv("WORKERS", "8")):
    parser.add_argument("--workers", type=int, default=workers)


def parse_opt(known=False):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--local_rank", type=int, default=-1, help="Automatic DDP Multi-GPU argument, do not modify")
    parser.add_argument("--data", default=DATA_ROOT)
    parser.add_argument("--cache", default=CACHE)
    parser.add_argument("--seed", type=int, default=SEEDS["seed"])
    parser.add_argument("--port", default=OPT.port)
    add_loader_args(parser)
    if os.getenv("DEBUG_ARGS"):
        parser.add_argument("--debug", action="store_true")
    [parser.add_argument(f"--{name}") for name in os.environ.get("EXTRA_FLAGS", "").split(",") if name]
    return parser.parse_known_args()[0] if known else parser.parse_args()


def main(opt, callbacks=None):
    if RANK in {-1, 0}:
        print(opt)
    train({}, opt, "cpu", callbacks)


def run(**kwargs):
    opt = parse_opt(True)
    for k, v in kwargs.items():
        setattr(opt, k, v)
    main(opt)
    return opt


if __name__ == "__main__":
    opt = parse_opt()
    main(opt)
