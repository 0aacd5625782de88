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
