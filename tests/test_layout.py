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
