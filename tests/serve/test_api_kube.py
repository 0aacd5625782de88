"""/health and /metrics read a (FAKE, local) Kubernetes API when a kube config points at one."""
import pytest

from ..envs.fake_kube import FakeKube

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "%s"}}]
users: [{name: fake, user: {token: not-a-secret}}]
contexts: [{name: fake, context: {cluster: fake, user: fake}}]
current-context: fake
"""


@pytest.fixture()
def kube(tmp_path, monkeypatch):
    with FakeKube() as fake:
        path = tmp_path / "kubeconfig"
        path.write_text(KUBECONFIG % fake.url)
        monkeypatch.setenv("KUBECONFIG", str(path))
        yield fake


def test_health_and_metrics_report_the_cluster(api, kube):
    health = api.get("/api/v1/health", headers=api.read).json()
    assert health["components"]["kubernetes"] == "healthy"
    k8s = api.get("/api/v1/metrics", headers=api.read).json()["kubernetes"]
    # 4 edge nodes + the control plane, 8 cores / 16 GiB each; one 2-core, 2-GiB pod per replica (4)
    assert k8s["status"] == "healthy" and k8s["node_count"] == 5 and k8s["pod_count"] == 4
    assert k8s["resource_usage"] == {"cpu": pytest.approx(8 / 40), "memory": pytest.approx(8 / 80)}


def test_unreachable_cluster_is_reported_not_invented(api, kube):
    kube.mode.add("drop")
    health = api.get("/api/v1/health", headers=api.read).json()
    assert health["components"]["kubernetes"].startswith("unhealthy")
    k8s = api.get("/api/v1/metrics", headers=api.read).json()["kubernetes"]
    assert k8s["node_count"] is None and "could not be read" in k8s["detail"]
