"""The group flags ``lwmecps train``, ``lwmecps eval`` and ``lwmecps env baselines`` share: a shipped
group by name (``--group``) or a file of your own (``--group-file``: the YAML/JSON group schema, or a
CSV trace with its topology in ``--nodes-file`` and ``--latency-file``)."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import typer
import yaml

GROUP_FILE = typer.Option(None, "--group-file", help="a group file instead of --group: YAML/JSON group schema "
                          "or a CSV trace (timestamp or slot, then one column per station)")
NODES_FILE = typer.Option(None, "--nodes-file", help="with a CSV --group-file: the nodes as YAML/JSON "
                          "[{name, cpu, memory_mib}], one per station in the CSV's order (default: 8 cores, 16 GiB)")
LATENCY_FILE = typer.Option(None, "--latency-file", help="with a CSV --group-file: the n x n latency matrix "
                            "in ms (station j's row, node k's column), as CSV rows of numbers or YAML/JSON")


def _read_nodes(path: Path) -> list[dict[str, Any]]:
    try:
        nodes = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise typer.BadParameter(f"{path}: {exc}", param_hint="--nodes-file") from None
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
        raise typer.BadParameter(f"{path}: a list of {{name, cpu, memory_mib}} is expected", param_hint="--nodes-file")
    return nodes


def _read_matrix(path: Path) -> list[list[float]]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise typer.BadParameter(f"{path}: {exc}", param_hint="--latency-file") from None
    try:
        if path.suffix.lower() == ".csv":
            rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
            return [[float(c) for c in r] for r in rows]
        matrix = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise typer.BadParameter(f"{path}: {exc}", param_hint="--latency-file") from None
    if not isinstance(matrix, list) or not all(isinstance(r, list) for r in matrix):
        raise typer.BadParameter(f"{path}: a list of rows of numbers is expected", param_hint="--latency-file")
    return matrix


def workload(group: str, group_file: Path | None, nodes_file: Path | None = None,
             latency_file: Path | None = None):
    """``group`` (a shipped group's name, checked) or the ``WorkloadGroup`` of ``group_file``; a
    ``typer.BadParameter`` naming the flag and the problem otherwise."""
    from lwmecps.envs import GroupFileError, UnknownGroupError, load_group, load_group_file, load_trace_csv

    if group_file is None:
        if nodes_file or latency_file:
            raise typer.BadParameter("--nodes-file and --latency-file go with a CSV --group-file",
                                     param_hint="--nodes-file")
        try:
            load_group(group)
        except UnknownGroupError as exc:
            raise typer.BadParameter(str(exc), param_hint="--group") from None
        return group
    is_csv = group_file.suffix.lower() == ".csv"
    if (nodes_file or latency_file) and not is_csv:
        raise typer.BadParameter("--nodes-file and --latency-file go with a CSV --group-file (a YAML group "
                                 "file has its own nodes and latency_ms)", param_hint="--nodes-file")
    from lwmecps.envs import EnvParams
    from lwmecps.envs.cluster import node_capacities

    try:
        if is_csv:
            loaded = load_trace_csv(group_file, nodes=_read_nodes(nodes_file) if nodes_file else None,
                                    latency_ms=_read_matrix(latency_file) if latency_file else None)
        else:
            loaded = load_group_file(group_file)
        node_capacities(loaded, EnvParams.load())  # every node hosts at least one replica
    except (GroupFileError, ValueError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--group-file") from None
    return loaded


def name_of(group) -> str:
    return group if isinstance(group, str) else group.name
