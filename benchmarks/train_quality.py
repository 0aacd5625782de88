"""Training-quality benchmark: ``python benchmarks/train_quality.py`` == ``lwmecps bench train --json``."""
import json
import sys

from lwmecps.platform.bench.train_quality import run

if __name__ == "__main__":
    print(json.dumps(run(log=lambda m: print(m, file=sys.stderr))))
