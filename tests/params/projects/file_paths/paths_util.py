import os
from pathlib import Path

CONFIG_DIR = str(Path(os.path.abspath(__file__)).parent / "configs" / "shared")


def model_defaults():
    return dict(depth=50, width=64, dropout=0.0, image_size=224)
