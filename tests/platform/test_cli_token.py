"""``lwmecps token create`` as a user runs it (service not running: it starts the embedded store)."""
import os
import subprocess
import sys
from pathlib import Path

from lwmecps.platform.auth import role_of
from lwmecps.platform.mongo_server import start_nx27017
from lwmecps.platform.ports import free_port
from lwmecps.platform.settings import Settings
from lwmecps.platform.store import Store

LWMECPS = str(Path(sys.executable).parent / "lwmecps")


def test_token_create_prints_one_token_stored_hashed(tmp_path):
    port = free_port()
    env = {**os.environ, "LWMECPS_EMBEDDED_MONGO_PORT": str(port)}
    env.pop("MONGODB_URI", None)
    out = subprocess.run([LWMECPS, "token", "create", "--role", "read"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lwm_")
    server = start_nx27017(tmp_path / "data", port)  # the same data folder, read back
    try:
        store = Store(server.uri, "lwmecps")
        assert role_of(lines[0], store.tokens, Settings()) == "read"
        assert lines[0] not in str(list(store.db.tokens.find({})))
    finally:
        server.stop()
    bad = subprocess.run([LWMECPS, "token", "create", "--role", "root"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown role 'root'" in bad.stderr
