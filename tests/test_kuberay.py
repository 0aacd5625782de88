"""The KubeRay manifests: parse, deserialize into the kubernetes client's models, validate the Serve
config with Ray's own schema, versions pinned, resources within the declared node size."""
import importlib
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from kubernetes.client import ApiClient

from lwmecps.platform.kuberay import NODE_SIZE, render
from lwmecps.platform.serving.quantities import parse_cpu, parse_memory

ROOT = Path(__file__).resolve().parents[1]
KUBERAY = ROOT / "kuberay"
MODELS = {"Namespace": "V1Namespace", "ServiceAccount": "V1ServiceAccount", "Secret": "V1Secret",
          "Service": "V1Service", "StatefulSet": "V1StatefulSet", "PersistentVolumeClaim": "V1PersistentVolumeClaim",
          "Role": "V1Role", "RoleBinding": "V1RoleBinding", "ClusterRole": "V1ClusterRole",
          "ClusterRoleBinding": "V1ClusterRoleBinding"}


def docs():
    out = []
    for path in sorted(KUBERAY.glob("*.yaml")):
        out += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
    return out


def pinned_ray() -> str:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return next(re.search(r"==([\d.]+)", d).group(1) for d in deps if d.startswith("ray["))


def deserialize(data, model: str):
    return ApiClient()._ApiClient__deserialize(data, model)


def pod_templates(doc):
    spec = doc["spec"].get("rayClusterConfig") or doc["spec"].get("rayClusterSpec")
    return [spec["headGroupSpec"]["template"]] + [g["template"] for g in spec["workerGroupSpecs"]]


def test_every_manifest_parses_and_core_objects_deserialize():
    kinds = set()
    for name, doc in docs():
        kinds.add(doc["kind"])
        if doc["kind"] in MODELS:
            obj = deserialize(doc, MODELS[doc["kind"]])
            assert obj.metadata.name == doc["metadata"]["name"], name
        else:
            assert doc["apiVersion"] == "ray.io/v1" and doc["kind"] in ("RayService", "RayJob"), name
            for template in pod_templates(doc):
                pod = deserialize(template, "V1PodTemplateSpec")
                assert pod.spec.containers[0].image and pod.spec.service_account_name == "lwmecps"
    assert {"RayService", "RayJob", "StatefulSet", "Secret", "Service", "Role", "ClusterRole"} <= kinds


def test_generated_manifests_match_the_code():
    for name, text in render().items():
        assert (KUBERAY / name).read_text() == text, f"{name} is stale: run `lwmecps kuberay render`"


def test_serve_config_is_valid_and_is_what_up_deploys():
    from ray.serve.schema import ServeDeploySchema

    from lwmecps.platform.settings import Settings
    from lwmecps.serve.ingress import application_config

    service = next(d for _, d in docs() if d["kind"] == "RayService")
    config = yaml.safe_load(service["spec"]["serveConfigV2"])
    schema = ServeDeploySchema.model_validate(config)
    app = schema.applications[0]
    assert config["applications"][0] == application_config(Settings.model_construct())
    module, attr = app.import_path.split(":")
    builder = getattr(importlib.import_module(module), attr)
    assert callable(builder)


def test_ray_version_everywhere_equals_the_pin():
    ray = pinned_ray()
    import ray as ray_pkg

    assert ray_pkg.__version__ == ray
    assert f"FROM rayproject/ray:{ray}-" in (KUBERAY / "Dockerfile").read_text()
    for _, doc in docs():
        if doc["kind"] in ("RayService", "RayJob"):
            spec = doc["spec"].get("rayClusterConfig") or doc["spec"].get("rayClusterSpec")
            assert spec["rayVersion"] == ray
            for template in pod_templates(doc):
                assert template["spec"]["containers"][0]["image"].endswith(f"-ray{ray}")


@pytest.mark.parametrize("kind", ["RayService", "RayJob", "StatefulSet"])
def test_requests_fit_the_node_size(kind):
    cpu, mem = parse_cpu(NODE_SIZE["cpu"]), parse_memory(NODE_SIZE["memory"])
    for _, doc in docs():
        if doc["kind"] != kind:
            continue
        templates = pod_templates(doc) if kind != "StatefulSet" else [doc["spec"]["template"]]
        for template in templates:
            for c in template["spec"]["containers"]:
                req, lim = c["resources"]["requests"], c["resources"]["limits"]
                assert parse_cpu(str(req["cpu"])) <= parse_cpu(str(lim["cpu"])) <= cpu
                assert parse_memory(str(req["memory"])) <= parse_memory(str(lim["memory"])) <= mem


def test_rbac_scales_in_one_namespace_only_and_reads_nodes():
    objs = {(d["kind"], d["metadata"]["name"]): d for _, d in docs()}
    role = objs[("Role", "lwmecps-scaler")]
    assert role["metadata"]["namespace"] == "edge"
    writes = [r for r in role["rules"] if set(r["verbs"]) & {"patch", "update", "create", "delete"}]
    assert writes == [{"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["patch"]}]
    cluster = objs[("ClusterRole", "lwmecps-node-reader")]
    assert cluster["rules"] == [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}]


def _grant(method: str, path: str):
    """(api group, resource, verb, namespace or None) of a Kubernetes API request; None for /version."""
    import re

    path = path.split("?")[0]
    if path.rstrip("/") == "/version":
        return None
    m = re.match(r"^/apis?/(?:(apps)/)?v1/(?:namespaces/([^/]+)/)?([a-z]+)(?:/([^/]+))?(?:/(scale))?$", path)
    assert m, path
    group, ns, resource, name, sub = m.groups()
    verb = {"PATCH": "patch"}.get(method, "get" if name else "list")
    return (group or "", resource + ("/" + sub if sub else ""), verb, ns)


def test_rbac_grants_exactly_the_calls_the_platform_makes(tmp_path, monkeypatch):
    """Every call of the live backend (capacities, scaling, readiness) and of /metrics and /health,
    recorded by the local FAKE API server, is granted by kuberay/rbac.yaml; every grant is used."""
    import numpy as np

    from lwmecps.envs import EdgeClusterEnv
    from lwmecps.platform.services.health import kubernetes_status
    from lwmecps.platform.services.kube import cluster_summary

    from .envs.fake_kube import FakeKube
    from .serve.test_api_kube import KUBECONFIG

    with FakeKube() as fake:
        env = EdgeClusterEnv("profile-a", backend="kubernetes", kube={"host": fake.url, "stats_url": fake.url,
                                                                      "observe_s": 0.0, "poll_s": 0.05})
        env.reset()
        env.step(np.array([2, 1, 0, 3]))
        (tmp_path / "kubeconfig").write_text(KUBECONFIG % fake.url)
        monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
        assert cluster_summary()["pod_count"] == 6 and kubernetes_status() == "healthy"
        calls = {_grant(m, p) for m, p, _ in fake.requests if not p.startswith("/api/group_stats")} - {None}
    objs = {(d["kind"], d["metadata"]["name"]): d for _, d in docs()}
    granted = {(g, r, v, None) for rule in objs[("ClusterRole", "lwmecps-node-reader")]["rules"]
               for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}
    role = objs[("Role", "lwmecps-scaler")]
    granted |= {(g, r, v, role["metadata"]["namespace"]) for rule in role["rules"]
                for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}
    assert calls == granted


def test_no_real_secret_is_committed():
    secret = next(d for _, d in docs() if d["kind"] == "Secret")
    values = [v for k, v in secret["stringData"].items() if "password" in k or "token" in k]
    assert values and all(v == "REPLACE_ME" for v in values)


def test_sweep_job_cleans_up_after_itself():
    job = next(d for _, d in docs() if d["kind"] == "RayJob")
    assert job["spec"]["shutdownAfterJobFinishes"] is True and job["spec"]["activeDeadlineSeconds"] > 0
    assert job["spec"]["entrypoint"].startswith("lwmecps sweep ")


def test_every_pod_gets_the_same_ray_auth_token_from_the_secret():
    """Ray 2.60 token auth: a pod without the head's token cannot join (InvalidAuthToken)."""
    secret = next(d for _, d in docs() if d["kind"] == "Secret")
    assert "ray-auth-token" in secret["stringData"]
    for _, doc in docs():
        if doc["kind"] not in ("RayService", "RayJob"):
            continue
        templates = pod_templates(doc)
        assert len(templates) >= 2  # the head and the worker group
        for template in templates:
            env = {e["name"]: e for e in template["spec"]["containers"][0]["env"]}
            assert env["RAY_AUTH_MODE"]["value"] == "token"
            assert env["RAY_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": secret["metadata"]["name"],
                                                                          "key": "ray-auth-token"}


def test_autoscaling_is_on_and_the_auto_rule_fits_a_worker_pod():
    """A default task's footprint, sized by the auto rule on the default cluster, fits one worker pod."""
    from lwmecps.platform import kuberay
    from lwmecps.platform.settings import Settings
    from lwmecps.platform.training import resources

    spec = kuberay.cluster_spec()
    assert spec["enableInTreeAutoscaling"] is True
    worker = parse_cpu(kuberay.WORKER_RESOURCES["cpu"])
    head = float(spec["headGroupSpec"]["rayStartParams"]["num-cpus"])
    settings = Settings.model_construct()
    footprint = resources.resolve({}, settings, free_cpus=worker + head - 0.1)  # the API holds 0.1
    while footprint.actor_cpus + footprint.env_runners * footprint.cpus_per_env_runner > worker + 1e-9:
        footprint = resources.shrink(footprint)  # what the scheduler does when Ray cannot place it
    assert footprint.env_runners >= 4 and footprint.cpus <= worker
