"""Modelled on transformers' examples/pytorch/language-modeling/run_clm.py (its dataclasses cut
down), with the other field shapes HfArgumentParser reads: Literal, an Enum, a list, aliases."""

import os
import sys
from dataclasses import dataclass, field
from enum import Enum
from typing import List, Literal, Optional

from transformers import HfArgumentParser, TrainingArguments

MODEL_TYPES = ("gpt2", "llama")


class Padding(str, Enum):
    LONGEST = "longest"
    MAX_LENGTH = "max_length"


@dataclass
class ModelArguments:
    """
    Arguments pertaining to which model/config/tokenizer we are going to fine-tune, or train from scratch.
    """

    model_name_or_path: Optional[str] = field(
        default=None,
        metadata={
            "help": (
                "The model checkpoint for weights initialization. Don't set if you want to train a model from scratch."
            )
        },
    )
    model_type: Optional[str] = field(
        default=None,
        metadata={"help": "If training from scratch, pass a model type from the list: " + ", ".join(MODEL_TYPES)},
    )
    use_fast_tokenizer: bool = field(
        default=True,
        metadata={"help": "Whether to use one of the fast tokenizer (backed by the tokenizers library) or not."},
    )
    model_revision: str = field(
        default="main",
        metadata={"help": "The specific model version to use (can be a branch name, tag name or commit id)."},
    )
    trust_remote_code: bool = field(default=False, metadata={"help": "Whether to trust code from the Hub."})
    dtype: Optional[str] = field(
        default=None,
        metadata={"help": "Load the model under this dtype.", "choices": ["auto", "bfloat16", "float16", "float32"]},
    )


@dataclass
class DataTrainingArguments:
    _argument_group_name = "data"

    dataset_name: Optional[str] = field(
        default=None, metadata={"help": "The name of the dataset to use (via the datasets library)."}
    )
    max_train_samples: Optional[int] = field(default=None, metadata={"help": "Truncate the training examples."})
    block_size: Optional[int] = field(default=None, metadata={"help": "Input sequence length after tokenization."})
    validation_split_percentage: Optional[int] = field(
        default=5,
        metadata={
            "help": "The percentage of the train set used as validation set in case there's no validation split"
        },
    )
    keep_linebreaks: bool = field(
        default=True, metadata={"help": "Whether to keep line breaks when using TXT files or not."}
    )
    streaming: Optional[bool] = None
    warmup_ratio: float = 0.0
    split: Literal["train", "validation", "test"] = "train"
    padding: Padding = field(default=Padding.MAX_LENGTH, metadata={"aliases": ["--pad"]})
    columns: List[str] = field(default_factory=lambda: ["text", "label"], metadata={"help": "Columns to keep."})


def main():
    parser = HfArgumentParser((ModelArguments, DataTrainingArguments, TrainingArguments))
    if len(sys.argv) == 2 and sys.argv[1].endswith(".json"):
        model_args, data_args, training_args = parser.parse_json_file(json_file=os.path.abspath(sys.argv[1]))
    else:
        model_args, data_args, training_args = parser.parse_args_into_dataclasses()
    print(model_args, data_args, training_args)


if __name__ == "__main__":
    main()
