"""Persistence: pymongo repositories, one per collection, over a real MongoDB wire server."""
from .autoscalers import AUTOSCALER_STATUSES, AutoscalerRepository
from .baseline_costs import BaselineCostRepository
from .groups import GroupExists, GroupRepository
from .client import InvalidIdError, as_utc, close_all, ensure_indexes, get_db, parse_id
from .models import MODEL_STATUSES, ModelRepository
from .reconciliations import ReconciliationRepository
from .samples import SampleRepository
from .sweeps import SweepRepository
from .tasks import ACTIVE, FINISHED, STATUSES, TaskRepository
from .tokens import TokenRepository


class Store:
    """The repositories over one database."""

    def __init__(self, uri: str, db_name: str):
        self.db = get_db(uri, db_name)
        self.tasks = TaskRepository(self.db)
        self.models = ModelRepository(self.db)
        self.tokens = TokenRepository(self.db)
        self.reconciliations = ReconciliationRepository(self.db)
        self.samples = SampleRepository(self.db)
        self.sweeps = SweepRepository(self.db)
        self.baseline_costs = BaselineCostRepository(self.db)
        self.groups = GroupRepository(self.db)
        self.autoscalers = AutoscalerRepository(self.db)

    def ping(self) -> bool:
        self.db.client.admin.command("ping")
        return True

    def init(self) -> "Store":
        ensure_indexes(self.db)
        return self


__all__ = ["ACTIVE", "AUTOSCALER_STATUSES", "AutoscalerRepository", "as_utc", "BaselineCostRepository", "FINISHED", "GroupExists", "GroupRepository", "InvalidIdError", "MODEL_STATUSES", "ModelRepository", "ReconciliationRepository", "STATUSES", "SampleRepository", "SweepRepository", "Store",
           "TaskRepository", "TokenRepository", "close_all", "ensure_indexes", "get_db", "parse_id"]
