import argparse


def str2bool(v):
    return v.lower() in ("yes", "true", "1")


def add_model_args(parser):
    group = parser.add_argument_group("model")
    group.add_argument("--depth", type=int, default=12)
    group.add_argument("--width", type=int, default=768)
    return parser


def add_gpu_params(parser, default_gpus=1):
    parser.add_argument("--gpus", type=int, default=default_gpus)
    parser.add_argument("--fp16", type=str2bool, default=False)


def add_dict_to_argparser(parser, default_dict):
    for k, v in default_dict.items():
        v_type = type(v)
        if v is None:
            v_type = str
        elif isinstance(v, bool):
            v_type = str2bool
        parser.add_argument(f"--{k}", default=v, type=v_type)
