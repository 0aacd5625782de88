"""``up`` says "ready" only once a request reaches the API (``runtime.wait_until_answering``): not while
nothing listens on the port, nor while a proxy without the route answers 503/404. The API benchmark's wait
(``bench.api_latency._wait_http``, the same ``http_wait.poll_http``) needs a 200 with its token."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lwmecps.platform.bench.api_latency import _wait_http
from lwmecps.platform.ports import free_port
from lwmecps.platform.runtime import wait_until_answering


def _serve(statuses: list[int], token: str | None = None) -> ThreadingHTTPServer:
    """A loopback server answering each GET with the next status of ``statuses`` (the last one repeats);
    with ``token``, a request without ``Authorization: Bearer <token>`` gets 401 instead."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            code = statuses.pop(0) if len(statuses) > 1 else statuses[0]
            if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
                code = 401
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_waits_through_a_proxy_without_the_route_until_the_api_answers():
    server = _serve([503, 404, 503, 401])
    said: list[str] = []
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/health"
        assert wait_until_answering(url, said.append, threading.Event(), wait_s=30)
    finally:
        server.shutdown()
    assert len(said) == 1 and "waiting for the API to answer" in said[0]


def test_gives_up_after_its_wait_when_nothing_listens():
    said: list[str] = []
    url = f"http://127.0.0.1:{free_port()}/api/v1/health"
    assert not wait_until_answering(url, said.append, threading.Event(), wait_s=1.0)
    assert said


def test_a_stop_ends_the_wait():
    stop = threading.Event()
    stop.set()
    assert not wait_until_answering(f"http://127.0.0.1:{free_port()}/api/v1/health", print, stop, wait_s=60)


def test_the_benchmark_waits_for_a_200_with_its_token_and_raises_without_one():
    server = _serve([503, 200], token="t0k")
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/health"
        _wait_http(url, "t0k", timeout=30)  # 503, then 200 with the token
        with pytest.raises(RuntimeError, match="did not answer within 1"):
            _wait_http(url, "wrong", timeout=1.0)  # only 401s: an answer, not the one it needs
    finally:
        server.shutdown()
