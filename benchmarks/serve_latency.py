"""Served-policy latency benchmark: ``python benchmarks/serve_latency.py`` == ``lwmecps bench serve --json``."""
import json
import sys

from lwmecps.platform.bench.serve_latency import run

if __name__ == "__main__":
    print(json.dumps(run(log=lambda m: print(m, file=sys.stderr))))
