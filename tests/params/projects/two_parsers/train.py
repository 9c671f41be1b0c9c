"""timm's pattern: a --config pre-pass whose YAML replaces the main parser's defaults."""
import argparse

import yaml

config_parser = parser = argparse.ArgumentParser(description="Training Config", add_help=False)
parser.add_argument("-c", "--config", default="", type=str, metavar="FILE", help="YAML config file")

parser = argparse.ArgumentParser(description="PyTorch ImageNet Training")
group = parser.add_argument_group("Dataset parameters")
group.add_argument("data", nargs="?", metavar="DIR", help="path to dataset")
group.add_argument("--dataset", metavar="NAME", default="", help="dataset type")
group.add_argument("--train-split", metavar="NAME", default="train")
group = parser.add_argument_group("Optimizer parameters")
group.add_argument("--opt", default="sgd", type=str, metavar="OPTIMIZER")
group.add_argument("--lr", type=float, default=None, metavar="LR")
group.add_argument("--momentum", type=float, default=0.9, metavar="M")
group.add_argument("--weight-decay", type=float, default=2e-5)
parser.add_argument("--epochs", type=int, default=300, metavar="N")


def _parse_args():
    args_config, remaining = config_parser.parse_known_args()
    if args_config.config:
        with open(args_config.config, "r") as f:
            cfg = yaml.safe_load(f)
            parser.set_defaults(**cfg)
    args = parser.parse_args(remaining)
    args_text = yaml.safe_dump(args.__dict__, default_flow_style=False)
    return args, args_text


def main():
    args, args_text = _parse_args()
    print(args)


if __name__ == "__main__":
    main()
