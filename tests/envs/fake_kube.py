"""A local FAKE of the few Kubernetes API endpoints the live backend calls (no cluster runs here),
plus the testbed's stats endpoint. It records every request; modes make it misbehave on purpose.

Endpoints: ``GET /api/v1/nodes``, ``/api/v1/pods``, ``/api/v1/namespaces/{ns}/pods``, ``/version``;
``GET /apis/apps/v1/namespaces/{ns}/deployments/{name}``;
``PATCH .../deployments/{name}/scale``; ``GET /api/group_stats?group_id=``. Modes: ``forbid``
(403 on PATCH), ``drop`` (close the connection without answering; ``drop_next = k``: only the next k
Kubernetes calls), ``never_ready`` (readyReplicas
stays 0), ``ready_after`` seconds before a scaled deployment is ready, ``observe_after`` seconds
before its controller has observed a new spec (until then ``status`` is the previous one's, with
``observedGeneration`` behind ``metadata.generation``). With ``token`` every Kubernetes call must
carry ``Authorization: Bearer <token>`` (401 otherwise); with ``tls`` (``make_tls``'s cert and key)
it serves HTTPS only.
"""
from __future__ import annotations

import datetime
import json
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DEP = re.compile(r"^/apis/apps/v1/namespaces/([^/]+)/deployments/([^/]+)(/scale)?$")
NS_PODS = re.compile(r"^/api/v1/namespaces/([^/]+)/pods$")


def make_tls(folder):
    """A CA of the test's own and a server certificate for 127.0.0.1 it signed: (ca, cert, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lwmecps test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False).sign(ca_key, hashes.SHA256()))
    paths = [folder / "ca.pem", folder / "server.pem", folder / "server.key"]
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return tuple(str(p) for p in paths)


class FakeKube:
    def __init__(self, nodes=("bs1", "bs2", "bs3", "bs4"), namespace="edge", cpu="8", memory="16Gi",
                 token: str | None = None, tls: tuple[str, str] | None = None):
        self.nodes, self.namespace, self.cpu, self.memory = list(nodes), namespace, cpu, memory
        self.token = token
        self.replicas = {f"server-{n}": 1 for n in nodes}
        self.previous = dict(self.replicas)  # the spec before the last patch (what a lagging status shows)
        self.generation = {k: 1 for k in self.replicas}
        self.observe_after = 0.0
        self.changed_at = {k: 0.0 for k in self.replicas}
        self.requests: list[tuple[str, str, object]] = []
        self.mode: set[str] = set()
        self.drop_next = 0
        self.dropped = 0  # connections closed without an answer
        self._lock = threading.Lock()
        self.ready_after = 0.0
        self.users = {n: 20.0 for n in nodes}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _dropped(self, url) -> bool:
                """Close the connection without an answer (mode ``drop``, or one of the next ``drop_next`` calls)."""
                with fake._lock:
                    once = fake.drop_next > 0 and url.path != "/api/group_stats"
                    fake.drop_next -= int(once)
                if "drop" in fake.mode or once:
                    with fake._lock:
                        fake.dropped += 1
                    self.close_connection = True
                    self.connection.close()
                    return True
                return False

            def _unauthorised(self, url):
                """401 for a Kubernetes call without the bearer token (the stats endpoint is not the API's)."""
                if fake.token is None or url.path == "/api/group_stats":
                    return False
                if self.headers.get("Authorization") == f"Bearer {fake.token}":
                    return False
                self._send(401, {"kind": "Status", "code": 401, "reason": "Unauthorized"})
                return True

            def do_GET(self):
                fake.requests.append(("GET", self.path, None))
                url = urlparse(self.path)
                if self._dropped(url) or self._unauthorised(url):
                    return
                if url.path == "/api/v1/nodes":
                    return self._send(200, fake.node_list())
                if url.path == "/api/v1/pods":
                    return self._send(200, fake.pod_list())
                if (ns := NS_PODS.match(url.path)) is not None:
                    return self._send(200, fake.pod_list(ns.group(1)))
                if url.path.rstrip("/") == "/version":
                    return self._send(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-fake",
                                            "gitCommit": "0", "gitTreeState": "clean", "buildDate": "2024-01-01",
                                            "goVersion": "go1.22", "compiler": "gc", "platform": "linux/amd64"})
                if url.path == "/api/group_stats":
                    return self._send(200, fake.stats(parse_qs(url.query).get("group_id", [""])[0]))
                m = DEP.match(url.path)
                if m and m.group(1) == fake.namespace and m.group(2) in fake.replicas and not m.group(3):
                    return self._send(200, fake.deployment(m.group(2)))
                return self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})

            def do_PATCH(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append(("PATCH", self.path, body))
                if self._dropped(urlparse(self.path)) or self._unauthorised(urlparse(self.path)):
                    return
                if "forbid" in fake.mode:
                    return self._send(403, {"kind": "Status", "code": 403, "reason": "Forbidden",
                                            "message": "deployments.apps/scale is forbidden"})
                m = DEP.match(urlparse(self.path).path)
                if not (m and m.group(3) and m.group(1) == fake.namespace and m.group(2) in fake.replicas):
                    return self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
                name = m.group(2)
                fake.previous[name] = fake.replicas[name]
                fake.replicas[name] = int(body["spec"]["replicas"])
                fake.generation[name] += 1
                fake.changed_at[name] = time.monotonic()
                return self._send(200, {"apiVersion": "autoscaling/v1", "kind": "Scale",
                                        "metadata": {"name": name, "namespace": fake.namespace},
                                        "spec": {"replicas": fake.replicas[name]}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def node_list(self):
        return {"apiVersion": "v1", "kind": "NodeList", "metadata": {}, "items": [
            {"metadata": {"name": n}, "status": {"allocatable": {"cpu": self.cpu, "memory": self.memory}}}
            for n in self.nodes + ["control-plane"]]}

    def pod_list(self, namespace: str | None = None):
        """One running pod per replica, each requesting 2 cores and 2 GiB (all in the edge namespace)."""
        if namespace is not None and namespace != self.namespace:
            return {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": []}
        return {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [
            {"metadata": {"name": f"{dep}-{i}", "namespace": self.namespace},
             "spec": {"containers": [{"name": "server", "image": "edge:1",
                                      "resources": {"requests": {"cpu": "2", "memory": "2Gi"}}}]},
             "status": {"phase": "Running"}}
            for dep, count in self.replicas.items() for i in range(count)]}

    def deployment(self, name):
        want = self.replicas[name]
        since = time.monotonic() - self.changed_at[name]
        ready = 0 if "never_ready" in self.mode else (want if since >= self.ready_after else 0)
        observed = self.generation[name]
        if since < self.observe_after:  # the controller has not seen the patch: the old spec's status
            observed, ready = observed - 1, self.previous[name]
        return {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": self.namespace, "generation": self.generation[name]},
                "spec": {"replicas": want, "selector": {"matchLabels": {"app": name}},
                         "template": {"metadata": {"labels": {"app": name}},
                                      "spec": {"containers": [{"name": "server", "image": "edge:1"}]}}},
                "status": {"replicas": want, "readyReplicas": ready or None, "observedGeneration": observed}}

    def stats(self, group):
        """Per station: users x 2.146 req/s; a station without replicas fails everything."""
        out = []
        for n in self.nodes:
            c = self.replicas[f"server-{n}"]
            lam = self.users[n] * 2.146
            rho = lam / (30.0 * c) if c else float("inf")
            lat = 800.0 if rho >= 1 else 5.0 + 1000.0 / (30.0 * c - lam)
            out.append({"name": n, "users": self.users[n], "arrival_rps": lam, "latency_ms": lat,
                        "p95_latency_ms": min(3 * lat, 800.0), "failed_fraction": 1.0 if rho >= 1 else 0.0})
        return {"group_id": group, "stations": out}
