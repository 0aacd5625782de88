"""``lwmecps bench report`` rewrites only its own section of the benchmarks README."""
import json

from lwmecps.platform.bench.report import BEGIN, END, write

RESULTS = {"env": {"single_vs_cartpole": 0.73, "batched_256_vs_single": 20.4},
           "serve": {"serve_p50_ms": 4.6, "serve_rps_1": 290.0},
           "train": {"ppo": {"vs_causal_a": 1.01, "vs_causal_a_sd": 0.004, "vs_causal_heldout": 1.07},
                     "best_vs_causal_a": 1.01, "best_vs_causal_heldout": 1.07, "seeds": [1, 2, 3],
                     "misses": ["dqn: not below hpa-tuned on profile-a (vs_hpa_tuned_a 1.02)"],
                     "setup": {"days": 4, "heldout": ["profile-b"]}}}


def test_report_section_is_replaced_not_appended(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\nprose that stays\n")
    write(readme, RESULTS)
    write(readme, {**RESULTS, "env": {"single_vs_cartpole": 0.8, "batched_256_vs_single": 21.0}})
    text = readme.read_text()
    assert text.startswith("# Benchmarks\n\nprose that stays\n")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert "| env | `single_vs_cartpole` | 0.8 |" in text and "0.73" not in text
    assert "| train | `best_vs_causal_heldout` | 1.07 |" in text and "cores" in text
    # the per-type row and the misses are the command's figures, not typed ones
    assert "| ppo | 1.01 | 0.004 | None |" in text
    assert "- dqn: not below hpa-tuned on profile-a (vs_hpa_tuned_a 1.02)" in text
    assert json.loads((tmp_path / "latest.json").read_text())["serve"]["serve_rps_1"] == 290.0


def test_report_keeps_the_keys_other_commands_wrote(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n")
    (tmp_path / "latest.json").write_text(json.dumps({"nodes": {"vs_best_static": 1.003}, "env": {"old": 1}}))
    write(readme, RESULTS)
    latest = json.loads((tmp_path / "latest.json").read_text())
    assert latest["nodes"] == {"vs_best_static": 1.003}  # `bench nodes --write`'s figures stay
    assert latest["env"] == RESULTS["env"]  # the report's own keys are replaced


def test_nodes_block_names_the_command_and_the_parameters_it_ran_with():
    from lwmecps.platform.bench.report import nodes_block

    nodes = {"node_steps_per_s_4": 1, "node_steps_per_s_16": 2, "node_steps_per_s_64": 3, "model_type": "ppo",
             "group": "synthetic-16", "nodes": 16, "cost": 6.4, "cost_sd": 0.1, "vs_best_static": 0.99,
             "vs_best_static_sd": 0.01, "vs_hpa": 0.9, "vs_hpa_sd": 0.01, "beats_best_static_and_hpa": True,
             "setup": {"seeds": [1, 2], "budget_s": 900.0, "days": 4, "eval_seeds": [0, 3], "selection_seed": 7,
                       "baselines": {"best-static": 6.46, "hpa": 7.1}, "params": {}}}
    text = nodes_block(nodes)
    assert "`lwmecps bench nodes --json --budget 900 --seeds 1,2 --write`" in text and "PPO with its defaults" in text
    nodes["setup"]["params"] = {"learning_rate_end": 0.0001}
    text = nodes_block(nodes)
    assert "--budget 900 --seeds 1,2 --params '{\"learning_rate_end\": 0.0001}' --write`" in text
    assert "PPO with `{\"learning_rate_end\": 0.0001}` over its defaults" in text
    assert "| best-static | 6.46 | 0.99 ± 0.01 |" in text and "The policy beats both" in text
    assert "selection day" not in text  # a run that did not record it says nothing about it
    nodes.update(selection=0.97, selection_per_seed={"1": 0.96, "2": 0.98})
    assert "on the selection day (policy / hpa-tuned there; the figure settings are compared by): 0.97 (per seed " \
        "{'1': 0.96, '2': 0.98})" in nodes_block(nodes)
    assert "checkpoint kept on day seed 7;" in nodes_block(nodes)
    nodes.update(per_seed={"2": 6.5, "1": 6.3}, selection_per_seed={"2": 0.98, "1": 0.96})
    text = nodes_block(nodes)
    assert "Per seed: seed 1 6.3 (0.9752x best-static), seed 2 6.5 (1.0062x best-static); 1 of 2 below best-static." \
        in text and "(per seed {'1': 0.96, '2': 0.98})" in text
    nodes["setup"]["selection_days"] = 3
    text = nodes_block(nodes)
    assert "--params '{\"learning_rate_end\": 0.0001}' --selection-days 3 --write`" in text
    assert "checkpoint kept on days seeds 7..9;" in text and "on the selection days (policy" in text


def test_misses_name_every_acceptance_item_of_issue_12():
    from lwmecps.platform.bench.suites import misses

    def figures(scale: float, worst: float = 1.05) -> dict:
        groups = {g: {"causal-oracle": 1.03, "best-static": 0.95 * scale, "hpa-tuned": 0.97 * scale,
                      "static-trained": 0.8} for g in ("profile-a", "reconciliation-group-1", "heldout-x")}
        groups["heldout-x"]["causal-oracle"] = worst
        return {"vs_best_static_a": 0.95 * scale, "vs_hpa_tuned_a": 0.97 * scale, "vs_hpa_tuned_heldout": 0.98 * scale,
                "vs_static_trained_heldout": 0.8, "vs_causal_heldout": 1.04 * scale, "per_group": groups}

    heldout = ["reconciliation-group-1", "heldout-x"]
    assert misses({"ppo": figures(1.0), "dqn": figures(1.01)}, heldout) == []
    found = misses({"ppo": figures(1.0, worst=1.12), "dqn": figures(1.04)}, heldout)
    assert "dqn: not below hpa-tuned on reconciliation-group-1 (1.0088)" in found
    assert "dqn: not below hpa-tuned on the held-out mean (vs_hpa_tuned_heldout 1.0192)" in found
    assert any(m.startswith("best type ppo: above 1.1x causal-oracle on its worst held-out group heldout-x") for m in found)
