"""TD3 for the edge cluster, laid out like RLlib's own algorithm folders."""
from .td3 import TD3, TD3Config

__all__ = ["TD3", "TD3Config"]
