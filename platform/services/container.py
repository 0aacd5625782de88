"""The services one API process uses, built once from the settings."""
from __future__ import annotations

from ..settings import Settings
from ..store import Store
from .autoscalers import AutoscalerService
from .groups import GroupService
from .metrics import MetricsService
from .models import ModelService
from .reconcile import ReconcileService
from .replay import ReplayService
from .sweeps import SweepService
from .tasks import TaskService


def _scheduler():
    from ..ray_here import connected

    if not connected():  # the API served without Ray (tests, the direct-uvicorn benchmark)
        return None  # ray.get_actor would start a Ray instance of its own
    from ..training.scheduler import find_scheduler

    return find_scheduler()


class Services:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.mongo_uri(), settings.mongodb_db).init()
        self.tasks = TaskService(self.store, settings, _scheduler)
        self.models = ModelService(self.store, settings)
        self.reconcile = ReconcileService(self.store, settings, self.tasks)
        self.replay = ReplayService(self.store, settings, self.models)
        self.metrics = MetricsService(self.store, settings, self.models)
        self.sweeps = SweepService(self.store, settings)
        self.groups = GroupService(self.store)
        self.autoscalers = AutoscalerService(self.store, settings, self.models)
