"""Project settings read from the environment (one of them feeds a default of train.py)."""
import os

DATA_ROOT = os.environ.get("DATA_ROOT", "/data")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "info")  # never reaches the parser
