from rl.utils import parse_args

if __name__ == "__main__":
    args = parse_args()
    print(args)
