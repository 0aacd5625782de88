"""`up` refuses to start beside a service that holds Serve's fixed HAProxy-mode ports: the fallback proxy
binds with SO_REUSEPORT, so without the check two services share its port and the kernel sends one
service's fallback requests to the other (a 401 for a valid token, or the other's data)."""
import os
import socket

import pytest

from lwmecps.platform import runtime
from lwmecps.platform.ports import free_port
from lwmecps.platform.settings import Settings


@pytest.fixture
def fallback_proxy(monkeypatch):
    """A listener on the fallback proxy's port as Serve's proxy binds it (127.0.0.1, SO_REUSEPORT)."""
    for var in runtime.HAPROXY_PORT_VARS:
        monkeypatch.setenv(var, str(free_port()))
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("127.0.0.1", int(os.environ["RAY_SERVE_FALLBACK_PROXY_HTTP_PORT"])))
        s.listen()
        yield s.getsockname()[1]


def test_a_port_in_use_is_named(fallback_proxy):
    assert runtime.haproxy_ports_in_use(wait_s=0) == [f"RAY_SERVE_FALLBACK_PROXY_HTTP_PORT={fallback_proxy}"]


def test_free_ports_pass(monkeypatch):
    for var in runtime.HAPROXY_PORT_VARS:
        monkeypatch.setenv(var, str(free_port()))
    assert runtime.haproxy_ports_in_use(wait_s=0) == []


def test_up_refuses_to_start_beside_another_service(fallback_proxy, tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "PORTS_WAIT_S", 0.0)
    saved = dict(os.environ)
    try:
        with pytest.raises(runtime.AlreadyRunning, match=f"RAY_SERVE_FALLBACK_PROXY_HTTP_PORT={fallback_proxy}"):
            runtime.up(Settings(data_dir=tmp_path / "data", api_port=free_port()), say=lambda _: None)
    finally:  # up exports its settings into this process's environment
        os.environ.clear()
        os.environ.update(saved)
    assert not (tmp_path / "data" / "lwmecps.pid").exists()  # the run lock is released on the way out


def test_a_port_variable_that_is_no_number_is_named(monkeypatch):
    monkeypatch.setenv("RAY_SERVE_FALLBACK_PROXY_HTTP_PORT", "eighty")
    with pytest.raises(runtime.BadPortVariable, match="RAY_SERVE_FALLBACK_PROXY_HTTP_PORT='eighty'"):
        runtime.haproxy_ports_in_use(wait_s=0)
