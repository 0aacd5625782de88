"""Autoscalers: a deployed policy that runs a cluster (or decides beside HPA in shadow mode).

``guardrails`` bounds what a policy may apply, ``twin`` is the simulated target (the edge-cluster
simulator advancing in real time, with HPA on the same workload in a parallel twin), ``loop`` makes
one decision and its record, ``actor`` runs the loop as a detached named Ray actor.
"""
