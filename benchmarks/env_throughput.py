"""Env throughput benchmark: ``python benchmarks/env_throughput.py`` == ``lwmecps bench env --json``."""
import json
import sys

from lwmecps.platform.bench.env_throughput import run

if __name__ == "__main__":
    print(json.dumps(run(log=lambda m: print(m, file=sys.stderr))))
