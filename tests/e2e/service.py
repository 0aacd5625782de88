"""Start and stop ``lwmecps up`` as a user would, in a scratch working directory."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from lwmecps.platform.ports import free_port

LWMECPS = str(Path(sys.executable).parent / "lwmecps")


def scratch_dir(name: str) -> str:
    """A new temp dir under the test session's scratch prefix (tests/conftest.py removes them all when
    the session passes); a short path, as Ray's unix sockets live below it."""
    prefix = os.environ.get("LWMECPS_TEST_SCRATCH_PREFIX", "/tmp/lwt-")
    return tempfile.mkdtemp(prefix=os.path.basename(prefix) + name, dir=os.path.dirname(prefix))


class Service:
    def __init__(self, workdir: Path, api_port: int = 8000):
        self.workdir = workdir
        self.api_port = api_port
        self.env = {**os.environ, "LWMECPS_API_PORT": str(api_port), "LWMECPS_DASHBOARD_PORT": str(free_port()),
                    "LWMECPS_EMBEDDED_MONGO_PORT": str(free_port()), "LWMECPS_CHECKPOINT_EVERY_ITERATIONS": "1",
                    "LWMECPS_MAX_CONCURRENT_TRAININGS": "1",
                    # HAProxy's metrics and stats listeners: two services run at once under make test
                    "RAY_SERVE_HAPROXY_METRICS_PORT": str(free_port()), "RAY_SERVE_HAPROXY_STATS_PORT": str(free_port()),
                    # and its fallback proxy (8500), which binds with SO_REUSEPORT: shared, it sends one
                    # service's requests to the other while no ingress replica is up
                    "RAY_SERVE_FALLBACK_PROXY_HTTP_PORT": str(free_port()),
                    "RAY_TMPDIR": scratch_dir("r")}
        self.proc: subprocess.Popen | None = None
        self.log = workdir / "up.log"

    @property
    def url(self) -> str:
        return f"http://localhost:{self.api_port}/api/v1"

    def start(self, timeout: float = 180) -> "Service":
        offset = self.log.stat().st_size if self.log.exists() else 0  # a restart appends to the log
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([LWMECPS, "up"], cwd=self.workdir, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"lwmecps up exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            if "ready; Ctrl-C stops everything" in self.log.read_text()[offset:]:
                return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"lwmecps up not ready in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def token(self) -> str:
        return (self.workdir / "data" / "admin-token").read_text().strip()

    def client(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30,
                            headers={"Authorization": f"Bearer {token or self.token()}"})

    def processes(self) -> dict[int, str]:
        """``{pid: command line}`` of every process ``lwmecps up`` started (Ray, workers, MongoDB)."""
        if self.proc is None or self.proc.poll() is not None:
            return {}
        found = {}
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                found[child.pid] = " ".join(child.cmdline())
            except psutil.NoSuchProcess:
                pass
        return found


def alive(pids) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def wait_for(fn, timeout: float, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last value {value!r})")
        time.sleep(every)
