"""Fine-tune a language model: argument groups and mutually exclusive flags."""

import argparse

parser = argparse.ArgumentParser()
model = parser.add_argument_group("Model", "what to fine-tune")
model.add_argument("--model-name", default="gpt2", help="Hugging Face model id")
model.add_argument("--max-len", type=int, default=2 ** 10)

optim = parser.add_argument_group(title="Optimizer")
optim.add_argument("--lr", type=float, default=3e-5)
sched = optim.add_mutually_exclusive_group()
sched.add_argument("--cosine", dest="schedule", action="store_const", const="cosine",
                   default="linear", help="cosine schedule")
sched.add_argument("--constant", dest="schedule", action="store_const", const="constant",
                   default="ignored-second-default", help="constant schedule")

precision = parser.add_mutually_exclusive_group()
precision.add_argument("--fp16", dest="precision", action="store_const", const="fp16")
precision.add_argument("--bf16", dest="precision", action="store_const", const="bf16")

amp = parser.add_mutually_exclusive_group()
amp.add_argument("--amp", dest="amp", action="store_true", help="mixed precision on")
amp.add_argument("--no-amp", dest="amp", action="store_false", help="mixed precision off")

parser.add_argument("--log-every", type=int, default=50)

if __name__ == "__main__":
    args = parser.parse_args()
    print(vars(args))
