from mypkg.engine import default_argument_parser, launch


def main(args):
    print(args)


if __name__ == "__main__":
    args = default_argument_parser().parse_args()
    launch(main, args.num_gpus)
