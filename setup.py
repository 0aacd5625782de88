"""Package mapping for the design card's layout (see ../shared/DESIGN.md §2, "the platform/ trap").

The import package is ``lwmecps``; its subpackages live in top-level folders:
``lwmecps.platform`` <- ``platform/``, ``lwmecps.envs`` <- ``envs/``, ``lwmecps.serve`` <- ``serve/``,
``lwmecps.configs`` <- ``configs/`` (YAML data). ``platform/`` has no ``__init__.py`` at its top,
so a process whose ``sys.path`` holds the repository root still imports the standard ``platform``.
Subpackages are discovered here so that a new folder needs no edit, only a re-install
(``make`` does it; editable installs must use ``--config-settings editable_mode=strict``).
"""
from setuptools import find_namespace_packages, setup

MAPPING = {"platform": "platform", "envs": "envs", "serve": "serve", "configs": "configs"}

# ``lwmecps`` itself is an implicit namespace: it has no folder of its own.
packages, package_dir = [], {}
for sub, folder in MAPPING.items():
    packages.append(f"lwmecps.{sub}")
    package_dir[f"lwmecps.{sub}"] = folder
    for found in find_namespace_packages(where=folder, exclude=["*__pycache__*"]):
        packages.append(f"lwmecps.{sub}.{found}")

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={"lwmecps.configs": ["*.yaml", "**/*.yaml"], "lwmecps.serve": ["static/**/*"]},
)
