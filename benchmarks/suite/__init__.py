"""The side-by-side benchmark suite behind `python benchmarks/run.py` (ours vs pyruns / GNU parallel)."""
