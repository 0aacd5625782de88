"""``up`` says "ready" only once a request reaches the API (``runtime.wait_until_answering``): not while
nothing listens on the port, nor while a proxy without the route answers 503/404."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lwmecps.platform.ports import free_port
from lwmecps.platform.runtime import wait_until_answering


def _serve(statuses: list[int]) -> ThreadingHTTPServer:
    """A loopback server answering each GET with the next status of ``statuses`` (the last one repeats)."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            code = statuses.pop(0) if len(statuses) > 1 else statuses[0]
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
