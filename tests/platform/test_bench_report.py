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


def test_nodes_block_names_the_command_and_the_parameters_it_ran_with():
    from lwmecps.platform.bench.report import nodes_block

    nodes = {"node_steps_per_s_4": 1, "node_steps_per_s_16": 2, "node_steps_per_s_64": 3, "model_type": "ppo",
             "group": "synthetic-16", "nodes": 16, "cost": 6.4, "cost_sd": 0.1, "vs_best_static": 0.99,
             "vs_best_static_sd": 0.01, "vs_hpa": 0.9, "vs_hpa_sd": 0.01, "beats_best_static_and_hpa": True,
             "setup": {"seeds": [1, 2], "budget_s": 900.0, "days": 4, "eval_seeds": [0, 3], "selection_seed": 7,
                       "baselines": {"best-static": 6.46, "hpa": 7.1}, "params": {}}}
    text = nodes_block(nodes)
    assert "`lwmecps bench nodes --json --budget 900 --write`" in text and "PPO with its defaults" in text
    nodes["setup"]["params"] = {"learning_rate_end": 0.0001}
    text = nodes_block(nodes)
    assert "--budget 900 --params '{\"learning_rate_end\": 0.0001}' --write`" in text
    assert "PPO with `{\"learning_rate_end\": 0.0001}` over its defaults" in text
    assert "| best-static | 6.46 | 0.99 ± 0.01 |" in text and "The policy beats both" in text
