"""guided-diffusion's pattern plus helpers in another file that add arguments."""
import argparse

from args import add_dict_to_argparser, add_gpu_params, add_model_args
from script_util import model_and_diffusion_defaults


def create_argparser():
    defaults = dict(data_dir="", lr=1e-4, batch_size=1, resume_checkpoint="")
    defaults.update(model_and_diffusion_defaults())
    parser = argparse.ArgumentParser()
    add_dict_to_argparser(parser, defaults)
    return parser


def main():
    parser = create_argparser()
    add_model_args(parser)
    add_gpu_params(parser, default_gpus=8)
    args = parser.parse_args()
    print(args)


if __name__ == "__main__":
    main()
