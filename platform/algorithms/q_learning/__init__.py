"""Tabular Q-learning for the edge cluster, laid out like RLlib's own algorithm folders."""
from .q_learning import QLearning, QLearningConfig

__all__ = ["QLearning", "QLearningConfig"]
