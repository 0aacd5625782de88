"""The edge-cluster Gymnasium environment, its workload groups, adapters and baselines.

Importing this package registers ``lwmecps/EdgeCluster-v1``.
"""
from gymnasium.envs.registration import register, registry

from .cluster import ShapeMismatch, check_same_shape
from .config import EnvParams
from .edge_cluster import EdgeClusterEnv
from .groups import (GroupFileError, UnknownGroupError, WorkloadGroup, as_group, group_from_spec, known_groups, load_group,
                     load_group_file)
from .traces import TraceError, TraceTooLarge, load_trace_csv

ENV_ID = "lwmecps/EdgeCluster-v1"

if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="lwmecps.envs.edge_cluster:EdgeClusterEnv",
             vector_entry_point="lwmecps.envs.vector:EdgeClusterVectorEnv")

__all__ = [
    "ENV_ID", "EdgeClusterEnv", "EnvParams", "GroupFileError", "UnknownGroupError", "WorkloadGroup",
    "ShapeMismatch", "TraceError", "TraceTooLarge", "as_group", "check_same_shape", "group_from_spec", "known_groups",
    "load_group",
    "load_group_file", "load_trace_csv",
]
