"""The Ray Serve application: the FastAPI /api/v1 app as an ingress deployment."""
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

        services = Services(get_settings())
        set_services(services)
        self.collector = SystemCollector(services.store.samples, services.settings.metrics_sample_s)


def build(settings: Settings):
    """The bound application, sized by the settings (fractional CPUs: training needs the cores)."""
    return ApiIngress.options(
        num_replicas=settings.api_replicas,
        ray_actor_options={"num_cpus": settings.api_num_cpus},
        max_ongoing_requests=settings.api_max_ongoing_requests,
    ).bind()
