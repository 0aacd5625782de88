"""The KubeRay manifests that are generated from code: the RayService (API + served policies) and
the RayJob (a sweep). ``lwmecps kuberay render`` writes them to ``kuberay/``; a test checks that the
committed files equal this module's output, so the RayService's ``serveConfigV2`` is always the
application ``lwmecps up`` deploys (``lwmecps.serve.ingress.application_config``).

Sizes: pods are sized for worker nodes of ``NODE_SIZE`` (8 cores, 32 GiB); the head runs the API,
the scheduler and Serve's controller, the CPU worker group (1..4 pods, KubeRay's autoscaler) runs
training actors, RLlib EnvRunners, reconciliations and policy replicas.
"""
from __future__ import annotations

from importlib import metadata
from typing import Any

import yaml

NAMESPACE = "lwmecps"
NODE_SIZE = {"cpu": "8", "memory": "32Gi"}
SECRET = "lwmecps-secrets"
IMAGE_REPO = "lwmecps/lwmecps-gym"
ARTIFACTS_PVC = "lwmecps-artifacts"
HEAD_RESOURCES = {"cpu": "2", "memory": "8Gi"}
WORKER_RESOURCES = {"cpu": "6", "memory": "24Gi"}


def ray_version() -> str:
    return metadata.version("ray")


def image() -> str:
    """The platform's image (kuberay/Dockerfile): ``rayproject/ray:<ray>-py311-cpu`` + this package."""
    return f"{IMAGE_REPO}:{metadata.version('lwmecps-gym')}-ray{ray_version()}"


def serve_config() -> dict[str, Any]:
    """``serveConfigV2``: the API application exactly as ``lwmecps up`` deploys it (default settings),
    its settings read from the pods' environment at start."""
    from lwmecps.serve.ingress import application_config

    from .settings import Settings

    return {"proxy_location": "EveryNode", "applications": [application_config(Settings.model_construct())]}


def _env() -> list[dict[str, Any]]:
    def secret(name: str, key: str, optional: bool = False) -> dict[str, Any]:
        ref = {"name": SECRET, "key": key}
        if optional:
            ref["optional"] = True
        return {"name": name, "valueFrom": {"secretKeyRef": ref}}

    return [
        secret("MONGODB_URI", "mongodb-uri"),
        secret("LWMECPS_ADMIN_TOKEN", "admin-token"),
        secret("WANDB_API_KEY", "wandb-api-key", optional=True),
        # Ray 2.60 token auth: every pod (head and workers) the same token, or a worker fails to
        # join with InvalidAuthToken
        {"name": "RAY_AUTH_MODE", "value": "token"},
        secret("RAY_AUTH_TOKEN", "ray-auth-token"),
        {"name": "LWMECPS_ARTIFACTS_DIR", "value": "/artifacts/checkpoints"},
        {"name": "LWMECPS_WANDB_DIR", "value": "/artifacts"},
        {"name": "LWMECPS_POLICY_CPU_SCALE", "value": "1.0"},  # a deploy's cpu is a real core here
        {"name": "LWMECPS_KUBE_NAMESPACE", "value": "edge"},  # where the live backend scales server-bs{i}
        {"name": "OMP_NUM_THREADS", "value": "1"},
    ]


def _pod(container: str, resources: dict[str, str], ports: list[dict[str, Any]]) -> dict[str, Any]:
    spec = {
        "serviceAccountName": "lwmecps",
        "containers": [{
            "name": container, "image": image(), "imagePullPolicy": "IfNotPresent", "env": _env(),
            "resources": {"requests": dict(resources), "limits": dict(resources)},
            "volumeMounts": [{"name": "artifacts", "mountPath": "/artifacts"}],
            **({"ports": ports} if ports else {}),
        }],
        "volumes": [{"name": "artifacts", "persistentVolumeClaim": {"claimName": ARTIFACTS_PVC}}],
    }
    return {"spec": spec}


HEAD_PORTS = [{"containerPort": 6379, "name": "gcs-server"}, {"containerPort": 8265, "name": "dashboard"},
              {"containerPort": 10001, "name": "client"}, {"containerPort": 8000, "name": "serve"}]


def cluster_spec(max_workers: int = 4) -> dict[str, Any]:
    return {
        "rayVersion": ray_version(),
        "enableInTreeAutoscaling": True,
        "autoscalerOptions": {"upscalingMode": "Default", "idleTimeoutSeconds": 300},
        "headGroupSpec": {
            # the head keeps 1 CPU for Ray's own work: the API asks 0.1, the scheduler none
            "rayStartParams": {"dashboard-host": "0.0.0.0", "num-cpus": "1"},
            "template": _pod("ray-head", HEAD_RESOURCES, HEAD_PORTS),
        },
        "workerGroupSpecs": [{
            "groupName": "cpu-workers", "replicas": 1, "minReplicas": 1, "maxReplicas": max_workers,
            "rayStartParams": {},
            "template": _pod("ray-worker", WORKER_RESOURCES, []),
        }],
    }


def artifacts_pvc() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": ARTIFACTS_PVC, "namespace": NAMESPACE},
            "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "20Gi"}}}}


def ray_service() -> dict[str, Any]:
    return {
        "apiVersion": "ray.io/v1", "kind": "RayService",
        "metadata": {"name": "lwmecps", "namespace": NAMESPACE,
                     "annotations": {"lwmecps.io/node-size": f"cpu={NODE_SIZE['cpu']},memory={NODE_SIZE['memory']}"}},
        "spec": {"serveConfigV2": yaml.safe_dump(serve_config(), sort_keys=False),
                 "rayClusterConfig": cluster_spec()},
    }


def ray_job_sweep(model_type: str = "ppo", group: str = "profile-a", num_samples: int = 8) -> dict[str, Any]:
    return {
        "apiVersion": "ray.io/v1", "kind": "RayJob",
        "metadata": {"name": "lwmecps-sweep", "namespace": NAMESPACE,
                     "annotations": {"lwmecps.io/node-size": f"cpu={NODE_SIZE['cpu']},memory={NODE_SIZE['memory']}"}},
        "spec": {
            "entrypoint": (f"lwmecps sweep --model-type {model_type} --group {group} --num-samples {num_samples} "
                           f"--register-best"),
            "shutdownAfterJobFinishes": True,
            "ttlSecondsAfterFinished": 600,
            "activeDeadlineSeconds": 4 * 3600,
            "submissionMode": "K8sJobMode",
            "rayClusterSpec": cluster_spec(max_workers=8),
        },
    }


HEADERS = {
    "ray-service.lwmecps.yaml": """\
# GENERATED by `lwmecps kuberay render` from lwmecps/platform/kuberay.py - edit that, then re-render.
# The platform on KubeRay: a shared volume for checkpoints and W&B runs, and a RayService whose
# serveConfigV2 is the very Serve application `lwmecps up` deploys (the API on port 8000); the
# served policies (`policy-<model_id>`) are added by the API at run time. Head: API, scheduler,
# dashboard (8265). Worker group `cpu-workers` (1..4 pods, KubeRay's in-tree autoscaler): training
# actors, EnvRunners, reconciliations and policy replicas. Secrets come from `lwmecps-secrets`
# (kuberay/mongodb.yaml). Pods are sized for nodes of 8 cores / 32 GiB (annotation node-size).
""",
    "ray-job.sweep.yaml": """\
# GENERATED by `lwmecps kuberay render` from lwmecps/platform/kuberay.py - edit that, then re-render.
# A hyperparameter sweep as a batch job: KubeRay creates a Ray cluster, runs `lwmecps sweep` (Ray
# Tune over the RLlib algorithm, W&B online when WANDB_API_KEY is in the secret), registers the best
# trial as a model in MongoDB, and deletes the cluster when the job ends (shutdownAfterJobFinishes)
# or after activeDeadlineSeconds (4 h). Needs the PVC and secret of the RayService's namespace.
""",
}


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (``serveConfigV2``) as readable ``|`` blocks."""


_Dumper.add_representer(str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v,
                                                              style="|" if "\n" in v else None))


def render() -> dict[str, str]:
    """File name -> text of every generated manifest."""
    def dump(*docs: dict[str, Any]) -> str:
        return "---\n".join(yaml.dump(d, Dumper=_Dumper, sort_keys=False) for d in docs)

    return {
        "ray-service.lwmecps.yaml": HEADERS["ray-service.lwmecps.yaml"] + dump(artifacts_pvc(), ray_service()),
        "ray-job.sweep.yaml": HEADERS["ray-job.sweep.yaml"] + dump(ray_job_sweep()),
    }
