"""``docs/parameters.md``, generated from the registry: every parameter a task accepts, per model type,
with its default (``configs/algorithms/<type>.yaml``, the one place defaults live; the randomisation
keys: ``params.COMMON_PARAMS``), its type and range, the RLlib config key it sets and what it does.
A test compares the file with ``markdown()``, so the reference cannot drift from the code.

Regenerate: ``python -m lwmecps.platform.training.param_docs > docs/parameters.md``.
"""
from __future__ import annotations

from typing import Any

from . import registry

HEADER = ("# Training parameters\n\n"
          "Generated from `platform/training/registry.py`, `params.py` and `configs/algorithms/<type>.yaml` by\n"
          "`python -m lwmecps.platform.training.param_docs > docs/parameters.md` (a test checks it is current).\n"
          "A task's `parameters` override the defaults; any other key is a 422 naming it. A default \"unset\":\n"
          "the key is left out and RLlib's own default applies (or what its text says).\n")


def _value(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return f"`{value}`"


def _range(param: registry.Param) -> str:
    if param.choices:
        return " \\| ".join(f"`{c}`" for c in param.choices)
    bounds = "" if param.low is None and param.high is None else f" in [{param.low:g}, {param.high:g}]"
    return f"{param.kind.__name__}{bounds}"


def _row(key: str, param: registry.Param, default: Any, rllib: tuple[str, ...] | None) -> str:
    target = ", ".join(f"`{k}`" for k in rllib) if rllib else (
        param.target or "the module's structure" if not param.sweepable else "unused by this type")
    return f"| `{key}` | {_value(default)} | {_range(param)} | {target} | {param.doc} |"


def type_table(name: str) -> str:
    """One model type's parameters: the spec's four, then its own."""
    mt = registry.get_model_type(name)
    defaults, keys = mt.defaults(), registry.rllib_keys(name)
    rows = [f"## `{name}`\n", f"{mt.description}.\n", "| key | default | type | RLlib key | what it does |",
            "|---|---|---|---|---|"]
    for key, param in {**registry.SPEC_PARAMS, **mt.extra}.items():
        rows.append(_row(key, param, defaults.get(key), keys.get(key)))
    return "\n".join(rows) + "\n"


def common_table() -> str:
    rows = ["## Every type: the training workload's randomisation and the training reward\n",
            "| key | default | type | sets | what it does |", "|---|---|---|---|---|"]
    for key, param in registry.COMMON_PARAMS.items():
        # a type's YAML may set one of these keys too (chosen for that type on the validation suite)
        own = [f"{name}: {_value(value)}" for name in registry.MODEL_TYPES
               if (value := registry.get_model_type(name).defaults().get(key, param.default)) != param.default]
        default = _value(param.default) + (f" ({'; '.join(own)})" if own else "")
        rows.append(f"| `{key}` | {default} | {_range(param)} | the env | {param.doc} |")
    return "\n".join(rows) + "\n"


def markdown() -> str:
    return "\n".join([HEADER, *(type_table(name) for name in registry.MODEL_TYPES), common_table()])


if __name__ == "__main__":
    print(markdown(), end="")
