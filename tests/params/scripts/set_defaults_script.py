"""Reinforcement-learning runner that leans on set_defaults and conflict resolution."""

import argparse

parser = argparse.ArgumentParser(conflict_handler="resolve")
parser.set_defaults(gamma=0.97)  # before add_argument: used because --gamma gives no default
parser.add_argument("--gamma", type=float)
parser.set_defaults(tau=0.5)  # before add_argument: ignored, --tau has its own default
parser.add_argument("--tau", type=float, default=0.005)
parser.add_argument("--env", default="CartPole-v1")
parser.add_argument("--buffer", type=int, default=10_000)
parser.add_argument("--buffer", type=int, default=50_000, help="replay buffer size (resolved)")
parser.add_argument("--render", action="store_true")
parser.set_defaults(render=True, env="LunarLander-v2", algo="dqn", seeds=[1, 2, 3])

if __name__ == "__main__":
    args = parser.parse_args()
    print(args)
