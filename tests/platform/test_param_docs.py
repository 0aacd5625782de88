"""The parameter reference (docs/parameters.md) is the registry and the YAML defaults, written out:
it cannot drift from them, and a default changed in one YAML changes that one cell and nothing else."""
from pathlib import Path

from lwmecps.platform.training import param_docs, registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "parameters.md"


def test_the_reference_is_current():
    assert DOC.read_text() == param_docs.markdown(), (
        "docs/parameters.md is stale: python -m lwmecps.platform.training.param_docs > docs/parameters.md")


def test_a_default_changed_in_the_yaml_changes_its_cell_only(monkeypatch):
    before = param_docs.markdown().splitlines()
    original = registry._defaults
    ppo = dict(original("ppo"))
    monkeypatch.setattr(registry, "_defaults", lambda name: tuple({**ppo, "learning_rate": 0.0042}.items())
                        if name == "ppo" else original(name))
    after = param_docs.markdown().splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 1, changed
    assert changed[0][0].startswith("| `learning_rate` | `0.001` |")
    assert changed[0][1].startswith("| `learning_rate` | `0.0042` |")
    # and what a task gets is the YAML's value: the builders state no default of their own
    assert registry.get_model_type("ppo").resolve({})["learning_rate"] == 0.0042


def test_every_type_has_its_defaults_file_and_uses_no_other_default():
    from importlib import resources

    for name in registry.MODEL_TYPES:
        assert resources.files("lwmecps.configs").joinpath(f"algorithms/{name}.yaml").is_file(), name
        registry.build_config(name, {}, "profile-a")  # every key a builder reads is in the resolved defaults
