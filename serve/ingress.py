"""The Ray Serve application: the FastAPI /api/v1 app as an ingress deployment.

``application_config(settings)`` is the one description of it: ``lwmecps up`` deploys from it, and
``lwmecps kuberay render`` writes it as the RayService's ``serveConfigV2`` (``import_path`` points at
``app_builder``, which Serve calls with the config's ``args``).
"""
from __future__ import annotations

from ray import serve

from lwmecps.platform.services.container import Services
from lwmecps.platform.settings import Settings, get_settings

from .api.app import create_app
from .api.deps import set_services

app = create_app()


@serve.deployment(name="api")
@serve.ingress(app)
class ApiIngress:
    """Builds the services from the process's settings (environment) at start."""

    def __init__(self):
        from lwmecps.platform.serving.collector import SystemCollector

        import ray

        from lwmecps.platform.training.scheduler import get_or_start_scheduler

        services = Services(get_settings())
        set_services(services)
        if ray.is_initialized():  # a RayService has no `lwmecps up` to start the scheduler: the API does
            get_or_start_scheduler()
        self.collector = SystemCollector(services.store.samples, services.settings.metrics_sample_s)


APP_NAME = "lwmecps"
IMPORT_PATH = "lwmecps.serve.ingress:app_builder"


def application_config(settings: Settings) -> dict:
    """The Serve application (``ServeApplicationSchema`` fields), sized by the settings: fractional
    CPUs per ingress replica, because training needs the cores."""
    return {
        "name": APP_NAME,
        "route_prefix": "/",
        "import_path": IMPORT_PATH,
        "deployments": [{
            "name": "api",
            "num_replicas": settings.api_replicas,
            "max_ongoing_requests": settings.api_max_ongoing_requests,
            "ray_actor_options": {"num_cpus": settings.api_num_cpus},
        }],
    }


def build(settings: Settings):
    """The bound application with the options of ``application_config(settings)``."""
    options = dict(application_config(settings)["deployments"][0])
    options.pop("name")
    return ApiIngress.options(**options).bind()


def app_builder(args: dict | None = None):
    """Serve's entry point for a config file (RayService): the settings come from the environment."""
    return build(get_settings())
