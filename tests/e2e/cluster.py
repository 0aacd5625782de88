"""A real multi-node Ray cluster on this machine: a head and worker nodes, each its own ``ray start``
process with its own raylet and object store (the shape of KubeRay's pods), on loopback.

Every node gets ``RAY_AUTH_MODE=token`` and one ``RAY_AUTH_TOKEN`` (Ray 2.60: a node without the
head's token fails with ``InvalidAuthToken``); so must every client (``env``). Nodes are stopped by
their process groups, never with ``ray stop`` (the machine is shared).
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from lwmecps.platform.ports import free_port

from .service import scratch_dir

RAY = str(Path(sys.executable).parent / "ray")
_MARK = "LWMECPS-NODES "


class RayCluster:
    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.token = secrets.token_hex(16)
        self.env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self.token,
                    "OMP_NUM_THREADS": "1"}
        self.temp = scratch_dir("c")
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.nodes: dict[str, subprocess.Popen] = {}

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.logdir / f"ray-{name}.log", "ab")
        proc = subprocess.Popen([RAY, "start", *args, f"--node-manager-port={free_port()}",
                                 f"--object-manager-port={free_port()}", "--disable-usage-stats", "--block"],
                                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.nodes[name] = proc
        return proc

    def start_head(self, num_cpus: float) -> None:
        self._start("head", ["--head", f"--port={self.port}", f"--num-cpus={num_cpus}", f"--temp-dir={self.temp}",
                             "--include-dashboard=false", f"--ray-client-server-port={free_port()}"])
        self.wait_nodes(1)

    def add_worker(self, name: str, num_cpus: float) -> None:
        alive = self.alive_nodes()
        self._start(name, [f"--address={self.address}", f"--num-cpus={num_cpus}",
                           f"--resources={{\"node:{name}\": 1}}"])
        self.wait_nodes(len(alive) + 1)

    def status(self) -> str:
        out = subprocess.run([RAY, "status", f"--address={self.address}"], capture_output=True, text=True,
                             env=self.env)
        return out.stdout if out.returncode == 0 else ""

    def alive_nodes(self) -> list[dict]:
        """The alive nodes as the GCS lists them (``node_id``, ``resources_total``)."""
        found = self._ask("[{'node_id': n['NodeID'], 'resources_total': n['Resources']} "
                          "for n in ray.nodes() if n['Alive']]")
        return found if found is not None else []

    def _ask(self, expression: str):
        """Evaluate ``expression`` (JSON-serialisable) in a driver attached to the cluster; ``None`` if
        it failed. Ray writes its own warnings to stdout too ("raylet has lagging heartbeats ..."
        while a node dies): the answer is the one line behind a marker."""
        code = ("import json, ray; ray.init(address=%r, log_to_driver=False, logging_level='ERROR');"
                "print(%r + json.dumps(%s))" % (self.address, _MARK, expression))
        try:
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=self.env,
                                 timeout=120)
        except subprocess.TimeoutExpired:
            return None
        lines = [line[len(_MARK):] for line in out.stdout.splitlines() if line.startswith(_MARK)]
        return json.loads(lines[-1]) if out.returncode == 0 and lines else None

    def actor_node(self, name: str) -> str | None:
        """The node id of the alive actor called ``name`` (from the GCS's actor table: the test cluster
        runs no dashboard, which Ray's state API needs)."""
        found = self._ask("[a['Address']['NodeID'] for a in __import__('ray._private.state', fromlist=['x'])"
                          ".actors().values() if a['Name'] == %r and a['State'] == 'ALIVE']" % name)
        return found[0] if found else None

    def head_node_id(self) -> str:
        return next(n["node_id"] for n in self.alive_nodes() if "node:__internal_head__" in n["resources_total"])

    def wait_nodes(self, count: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(self.alive_nodes()) != count:
            dead = [n for n, p in self.nodes.items() if p.poll() is not None and n == "head"]
            assert not dead and time.monotonic() < deadline, self.logs()
            time.sleep(1)

    def node_id(self, name: str) -> str:
        """The Ray node id of worker ``name`` (found by its ``node:<name>`` resource)."""
        for node in self.alive_nodes():
            if f"node:{name}" in node["resources_total"]:
                return node["node_id"]
        raise KeyError(name)

    def kill_raylet(self, name: str) -> int:
        """``kill -9`` the raylet of node ``name``: the node is lost as a pod whose kernel died."""
        for child in psutil.Process(self.nodes[name].pid).children(recursive=True):
            if "raylet" in " ".join(child.cmdline()) and "raylet/raylet" in child.cmdline()[0]:
                child.send_signal(signal.SIGKILL)
                return child.pid
        raise AssertionError(f"no raylet under node {name}")

    def stop(self) -> None:
        for name in reversed(list(self.nodes)):  # workers first, the head last
            proc = self.nodes[name]
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        # one grace period for all nodes, not one each: a node whose raylet was killed never exits on
        # SIGTERM, and waiting 30 s per node was half a minute of every run of this module
        deadline = time.monotonic() + 10
        for proc in self.nodes.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)  # reap it: SIGKILL ends it at once
        # what a killed raylet left behind (its workers) in this cluster's session
        for proc in psutil.process_iter(["pid", "cmdline"]):
            try:
                if any(self.temp in part for part in proc.info["cmdline"] or []):
                    proc.kill()
            except psutil.Error:
                pass

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(self.logdir.glob("ray-*.log")))
