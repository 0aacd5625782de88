"""Local MongoDB wire-protocol servers, started and stopped by PID.

``nx-27017`` (MIT) is the embedded default of ``lwmecps up`` (data under ``./data``); the store's
contract tests also run against ``SecantusDB`` (``secantusd-py``). No ``mongod`` can be installed
on our machines; both servers speak the wire protocol to the real ``pymongo`` client.
"""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the parent dies (Linux), so no server outlives
    a crashed ``lwmecps up`` or test run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the parent's shutdown path still stops the server
        pass


def _bin(name: str) -> str:
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else (shutil.which(name) or name)


@dataclass
class MongoServer:
    """A running server process; ``stop()`` terminates it by its PID."""

    proc: subprocess.Popen
    uri: str
    log_path: Path

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)


def _wait_ready(server: MongoServer, timeout: float) -> MongoServer:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"MongoDB server exited with code {server.proc.returncode}; see {server.log_path}")
        try:
            with MongoClient(server.uri, serverSelectionTimeoutMS=300) as client:
                client.admin.command("ping")
                return server
        except PyMongoError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"MongoDB server did not answer within {timeout} s; see {server.log_path}")


def _clear_stale_pid_file(pid_file: Path) -> None:
    """nx-27017 refuses to start while its pid file names a live process. After a crash (kill -9) the
    file stays behind, and its PID may be a zombie or reused by another program: only a running
    nx-27017 keeps the file; anything else is stale and removed."""
    import psutil

    try:
        pid = int(pid_file.read_text().strip() or 0)
    except (OSError, ValueError):
        pid_file.unlink(missing_ok=True)
        return
    try:
        proc = psutil.Process(pid)
        if proc.status() != psutil.STATUS_ZOMBIE and any("nx-27017" in part for part in proc.cmdline()):
            return  # a live server: nx-27017 itself reports the conflict
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        pass
    pid_file.unlink(missing_ok=True)


def start_nx27017(data_dir: Path, port: int, timeout: float = 20.0) -> MongoServer:
    """``nx-27017 --data-dir <data_dir>/mongo -p <port>``: one SQLite file per logical database
    (``--db FILE`` would share one file among all databases); log and pid files stay in ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    _clear_stale_pid_file(data_dir / "nx-27017.pid")
    log = data_dir / "nx-27017.log"
    cmd = [_bin("nx-27017"), "--data-dir", str(data_dir / "mongo"), "-p", str(port), "--host", "127.0.0.1",
           "--log-file", str(log), "--pid-file", str(data_dir / "nx-27017.pid")]
    with open(data_dir / "nx-27017.out", "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_die_with_parent)
    return _wait_ready(MongoServer(proc, f"mongodb://127.0.0.1:{port}/", log), timeout)


def start_secantus(data_dir: Path, port: int, timeout: float = 30.0) -> MongoServer:
    """``secantusd-py --port <port> --storage-path <data_dir>`` (used by the contract tests)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "secantus.out"
    with open(log, "ab") as out:
        proc = subprocess.Popen([_bin("secantusd-py"), "--port", str(port), "--storage-path", str(data_dir)],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_die_with_parent)
    return _wait_ready(MongoServer(proc, f"mongodb://127.0.0.1:{port}/", log), timeout)
