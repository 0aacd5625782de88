"""The design card's layout must not shadow Python's standard ``platform`` module (DESIGN §2)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_std_platform_imports_from_repo_root():
    # ``python -c`` puts the current directory first on sys.path: the trap case
    code = "import platform, torch, ray, lwmecps.platform; print(platform.system())"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "Linux"


def test_platform_folder_is_a_namespace_portion():
    assert not (ROOT / "platform" / "__init__.py").exists()
    import lwmecps.platform

    assert Path(list(lwmecps.platform.__path__)[0]).name == "platform"


def _imports(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved against its package)."""
    import ast

    package = ["lwmecps", *path.relative_to(ROOT).parent.parts]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return found


def test_algorithms_do_not_import_training():
    """Layers one way: ``platform/training`` builds on ``platform/algorithms``, never the reverse."""
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if m.startswith("lwmecps.platform.training"))
                 for p in (ROOT / "platform" / "algorithms").rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}, offenders
    # the check sees a relative import like the one it replaced
    probe = ROOT / "platform" / "algorithms" / "inference.py"
    assert "lwmecps.platform.algorithms.actions" in _imports(probe)
