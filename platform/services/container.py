"""The services one API process uses, built once from the settings."""
from __future__ import annotations

from ..settings import Settings
from ..store import Store
from .tasks import TaskService


def _scheduler():
    from ..training.scheduler import find_scheduler

    try:
        return find_scheduler()
    except Exception:  # Ray not connected (e.g. the API served without Ray in a benchmark)
        return None


class Services:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.mongo_uri(), settings.mongodb_db).init()
        self.tasks = TaskService(self.store, settings, _scheduler)
