"""Ships `specs/` inside the package as `contract/_specs/` (pyproject.toml holds everything else).

`specs/` stays at the top of the repository, where people edit it; a wheel or sdist install has no
checkout beside it, so `contract.specs.specs_dir()` reads the copy shipped here. pyproject.toml alone
cannot map a folder outside the package into it while still discovering packages, hence this file.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["contract", "contract.*"]) + ["contract._specs"],
    package_dir={"contract._specs": "specs"},
    package_data={"contract._specs": ["*"], "contract.emulator": ["data/*.json"]},
)
