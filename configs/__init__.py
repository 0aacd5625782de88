"""YAML data: env constants (env/), workload groups (groups/), algorithm defaults (algorithms/)."""
