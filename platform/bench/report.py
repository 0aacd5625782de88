"""``lwmecps bench report`` (``make bench``): run every benchmark, one after the other on this machine,
and rewrite the "Latest run" section of ``benchmarks/README.md`` with their figures (the sections
above it explain each benchmark and keep the history)."""
from __future__ import annotations

import json
import os
import platform
import re
from datetime import date
from pathlib import Path
from typing import Any, Callable

BEGIN, END = "<!-- latest:begin (written by `lwmecps bench report`) -->", "<!-- latest:end -->"
KEYS = {
    "env": ("single_vs_cartpole", "batched_256_vs_single"),
    "api": ("serve_vs_direct_rps", "serve_p50_ms", "serve_p99_ms", "direct_p50_ms", "proxy"),
    "serve": ("serve_p50_ms", "serve_p99_ms", "serve_rps_1", "serve_rps_2", "inproc_p50_ms"),
    "train": ("best_vs_causal_a", "best_vs_causal_heldout", "seeds"),
}


def machine() -> str:
    import numpy

    cores = os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.machine()}, {cores} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}, "
            f"numpy {numpy.__version__}")


def run_all(include_train: bool = True, train_budget_s: float | None = None,
            log: Callable[[str], None] = print) -> dict[str, dict[str, Any]]:
    from . import api_latency, env_throughput, scale, serve_latency, train_quality

    results = {"env": env_throughput.run(log=log), "api": api_latency.run(log=log),
               "serve": serve_latency.run(log=log), "scale": scale.run(log=log)}
    if include_train:
        from . import spec_example

        results["train"] = train_quality.run(budget_s=train_budget_s, log=log)
        results["spec_dqn"] = spec_example.run(log=log)
    return results


def section(results: dict[str, dict[str, Any]]) -> str:
    command = "make bench" if "train" in results else "lwmecps bench report --no-train"
    lines = [BEGIN, "", f"## Latest run — {date.today().isoformat()}, `{command}`", "",
             f"Machine: {machine()}. Goals: `single_vs_cartpole` >= 0.5, `batched_256_vs_single` >= 20, "
             f"`serve_vs_direct_rps` >= 0.5" + ("." if "train" in results else
                                                 "; the training benchmark was not run (see its section)."),
             "", "| benchmark | figure | value |", "|---|---|---|"]
    for name, keys in KEYS.items():
        for key in keys:
            if name in results and key in results[name]:
                lines.append(f"| {name} | `{key}` | {results[name][key]} |")
    if "train" in results:
        lines += train_table(results["train"])
    if "spec_dqn" in results:
        s100 = results["spec_dqn"]["steps_100"]
        lines += ["", "The spec's DQN example (`lwmecps bench spec-dqn`: lr 0.001, gamma 0.99, "
                  f"{results['spec_dqn']['episodes']} episodes), reconciled on reconciliation-group-1 with "
                  f"sample_size 100: costs {s100['costs']}, `vs_hpa` {s100['vs_hpa']}; over 4 days: "
                  f"`vs_hpa` {results['spec_dqn']['steps_1152']['vs_hpa']}."]
    lines += ["", END]
    return "\n".join(lines)


TRAIN_COLUMNS = ("vs_causal_a", "vs_causal_a_sd", "vs_best_static_a", "vs_hpa_tuned_a", "vs_oracle_a",
                 "vs_causal_heldout", "vs_causal_heldout_worst", "vs_best_static_heldout", "vs_hpa_tuned_heldout",
                 "vs_static_trained_heldout", "time_to_1_05_s", "env_steps", "wall_s")


def train_table(train: dict[str, Any]) -> list[str]:
    """The training benchmark's rows, exactly as ``lwmecps bench train`` computed them."""
    setup = train.get("setup", {})
    types = [t for t, row in train.items() if isinstance(row, dict) and "vs_causal_a" in row]
    lines = ["", f"Training benchmark: seeds {train.get('seeds')}, {setup.get('days')} evaluation days per group, "
             f"budget (training s) {setup.get('budget_s')}; held-out suite {setup.get('heldout')}; "
             f"selection on {setup.get('validation')}. Ratios are per-step costs (lower is better).", "",
             "| type | " + " | ".join(f"`{c}`" for c in TRAIN_COLUMNS) + " |",
             "|---" * (len(TRAIN_COLUMNS) + 1) + "|"]
    for t in types:
        lines.append(f"| {t} | " + " | ".join(str(train[t].get(c)) for c in TRAIN_COLUMNS) + " |")
    misses = train.get("misses") or []
    lines += ["", "Misses against the acceptance (issue 12): " + ("none." if not misses else "")]
    lines += [f"- {m}" for m in misses]
    return lines


def scale_block(scale: dict[str, Any]) -> str:
    """``lwmecps bench scale``'s figures and, labelled as such, a projection for KubeRay's worker group."""
    from .scale import amdahl, projection

    rows = scale["per_runner"]
    lines = [SCALE_BEGIN, "", f"### Scale-out — {date.today().isoformat()}, `lwmecps bench scale --json --write`", "",
             f"Machine: {machine()}; Ray with {scale['cpus']:g} CPUs; PPO defaults on profile-a, "
             f"{rows['r0']['env_steps']} env steps measured per runner count after one warm-up iteration.", "",
             "| EnvRunners | CPUs each | env steps/s | wall s | sampling s | learning s |", "|---|---|---|---|---|---|"]
    for key, row in rows.items():
        lines.append(f"| {row['runners']} | {row['cpus_per_runner']} | {row['steps_per_s']} | {row['wall_s']} | "
                     f"{row['sample_s']} | {row['learn_s']} |")
    r0 = rows["r0"]
    share = r0["learn_s"] / (r0["learn_s"] + r0["sample_s"]) if r0["learn_s"] + r0["sample_s"] else 0.0
    two, one = amdahl(r0, 2), amdahl(r0, 1)  # 2 runners vs sampling in the learner's process
    ideal = two / one if two and one else 1.0
    lines += ["", f"`speedup_2_vs_0` = {scale['speedup_2_vs_0']} (goal >= 1.5 on 2 cores; 2.0 is the physical limit). "
              f"Where the time goes (sampling timed alone, the rest is learning): learning is {share:.0%} of a 0-runner iteration and "
              f"does not split over runners (synchronous PPO: runners wait while the learner updates), so even a "
              f"perfect split of sampling over 2 runners gives at most {ideal:.2f}x (Amdahl); the rest of the "
              f"gap is moving the sampled episodes from the runner processes to the learner."]
    proj = projection(scale)
    lines += ["", f"**Projection, not a measurement** (from the figures above): {proj['text']}", "", SCALE_END]
    return "\n".join(lines)


SCALE_BEGIN, SCALE_END = "<!-- scale:begin (written by `lwmecps bench scale --write`) -->", "<!-- scale:end -->"


def _replace_block(text: str, begin: str, end: str, block: str) -> str:
    if begin in text:
        return re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    return text.rstrip() + "\n\n" + block + "\n"


def _write_block(readme: Path, key: str, begin: str, end: str, block: str, result: dict[str, Any]) -> None:
    """One block of the README and the ``key`` of ``latest.json`` (the rest of both kept)."""
    readme.write_text(_replace_block(readme.read_text(), begin, end, block))
    _merge_latest(readme, {key: result})


def _merge_latest(readme: Path, results: dict[str, Any]) -> None:
    """``results``' keys into the ``latest.json`` beside ``readme``; every other key stays."""
    path = readme.parent / "latest.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    path.write_text(json.dumps({**data, **results}, indent=1, default=str) + "\n")


def write_scale(readme: Path, scale: dict[str, Any]) -> None:
    """The scale block of the README and the ``scale`` key of ``latest.json`` (the rest kept)."""
    _write_block(readme, "scale", SCALE_BEGIN, SCALE_END, scale_block(scale), scale)


NODES_BEGIN, NODES_END = "<!-- nodes:begin (written by `lwmecps bench nodes --write`) -->", "<!-- nodes:end -->"


def _by_seed(per_seed: dict[str, Any]) -> list[tuple[str, Any]]:
    """A ``{seed: value}`` figure in seed order (the run records seeds in the order they finished)."""
    return sorted(per_seed.items(), key=lambda kv: int(kv[0]))


def nodes_block(nodes: dict[str, Any]) -> str:
    """``lwmecps bench nodes``'s figures: env speed in nodes, PPO on 16 nodes against the baselines."""
    st = nodes["setup"]
    params = st.get("params") or {}
    sel_days = st.get("selection_days", 1)  # runs before 2026-12-06 (13:00) scored on one day
    flag = f" --params '{json.dumps(params)}'" if params else ""
    flag += f" --selection-days {sel_days}" if sel_days != 1 else ""
    over = f"`{json.dumps(params)}` over " if params else ""
    lines = [NODES_BEGIN, "", f"### Clusters of 4, 16 and 64 nodes — {date.today().isoformat()}, "
             f"`lwmecps bench nodes --json --budget {st['budget_s']:g} --seeds {','.join(map(str, st['seeds']))}{flag} "
             "--write`", "",
             f"Machine: {machine()}.", "",
             "Batched simulator (256 clusters, uniform random actions), env steps/s x nodes: "
             + ", ".join(f"`node_steps_per_s_{n}` = {nodes[f'node_steps_per_s_{n}']}" for n in (4, 16, 64)) + ".", "",
             f"{nodes['model_type'].upper()} with {over}its defaults on `{nodes['group']}` ({nodes['nodes']} nodes), seeds "
             f"{st['seeds']}, {st['budget_s']:g} s of training each (two at once), checkpoint kept on "
             + (f"day seed {st['selection_seed']}" if sel_days == 1 else
                f"days seeds {st['selection_seed']}..{st['selection_seed'] + sel_days - 1}")
             + f"; evaluated over {st['days']} days (seeds {st['eval_seeds'][0]}..{st['eval_seeds'][1]}) "
             "that every baseline meets too. Cost per step (lower is better):", "",
             "| policy | cost | policy / it (mean ± sd over seeds) |", "|---|---|---|",
             f"| {nodes['model_type']} | {nodes['cost']} ± {nodes['cost_sd']} | 1 |"]
    for name, cost in st["baselines"].items():
        key = name.replace("-", "_")
        lines.append(f"| {name} | {cost} | {nodes[f'vs_{key}']} ± {nodes[f'vs_{key}_sd']} |")
    if "per_seed" in nodes:  # the mean can hide seeds on the wrong side of best-static: show each
        bs = st["baselines"]["best-static"]
        per_seed = _by_seed(nodes["per_seed"])
        below = sum(cost < bs for _, cost in per_seed)
        lines += ["", "Per seed: " + ", ".join(f"seed {s} {cost} ({cost / bs:.4f}x best-static)" for s, cost in per_seed)
                  + f"; {below} of {len(per_seed)} below best-static."]
    if "selection" in nodes:  # runs before 2026-12-06 did not record it
        per_sel = dict(_by_seed(nodes["selection_per_seed"]))
        lines += ["", f"Kept checkpoints on the selection day{'s' if sel_days != 1 else ''} (policy / hpa-tuned there; the figure settings are "
                  f"compared by): {nodes['selection']} (per seed {per_sel})."]
    verdict = "beats" if nodes["beats_best_static_and_hpa"] else "does **not** beat"
    lines += ["", f"The policy {verdict} both `best-static` and `hpa` on the mean. `oracle` is the pooled bound above "
              "5^8 configurations (no queueing delay: loose); `causal-oracle` plans each node alone there (a causal "
              "plan restricted to every node serving its own station, not the optimum over all configurations).",
              "", NODES_END]
    return "\n".join(lines)


def write_nodes(readme: Path, nodes: dict[str, Any]) -> None:
    _write_block(readme, "nodes", NODES_BEGIN, NODES_END, nodes_block(nodes), nodes)


def write(readme: Path, results: dict[str, dict[str, Any]]) -> None:
    readme.write_text(_replace_block(readme.read_text(), BEGIN, END, section(results)))
    # other commands' keys (``nodes``: `lwmecps bench nodes --write`) stay: their blocks stay in the README
    _merge_latest(readme, results)
    if "scale" in results:
        write_scale(readme, results["scale"])
