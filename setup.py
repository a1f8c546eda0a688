"""Packaging hook: mocksite/ and bench/ are development packages, left out of built wheels.

An editable install from a checkout (`pip install -e '.[test]'`, what `make venv` runs) maps
every package found, so the mock site and the benchmarks are importable there; a regular build
(`pip install .`, `pip wheel .`) ships only the product: finews_crawler and pipelines.
"""

from setuptools import setup
from setuptools.command.build_py import build_py

DEVELOPMENT_PACKAGES = ("mocksite", "bench")


class ProductBuildPy(build_py):
    """build_py that leaves the development packages out unless the install is editable."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if not getattr(self, "editable_mode", False):
            self.packages = [
                name for name in self.packages if name.split(".")[0] not in DEVELOPMENT_PACKAGES
            ]


setup(cmdclass={"build_py": ProductBuildPy})
