"""Trainer class that builds its parser in methods (Lightning-style add_args)."""

import argparse


class Defaults:
    LR = 2e-4
    BETAS = (0.9, 0.999)
    NAME = "gan"


class Generator:
    @staticmethod
    def add_model_args(parent):
        group = parent.add_argument_group("Generator")
        group.add_argument("--latent-dim", type=int, default=128)
        group.add_argument("--g-layers", type=int, default=4)
        return parent


class Trainer:
    def __init__(self):
        self.parser = argparse.ArgumentParser()
        self.parser.add_argument("--lr", type=float, default=Defaults.LR)
        self.parser.add_argument("--betas", type=float, nargs=2, default=Defaults.BETAS)
        self.parser.add_argument("--name", default=Defaults.NAME.upper())
        self.parser = Generator.add_model_args(self.parser)

    def parse(self):
        return self.parser.parse_args()


if __name__ == "__main__":
    print(Trainer().parse())
