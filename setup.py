"""Ships the top-level `prompts/` library inside the package as `bot._prompts`.

The library stays at the repository's top level (operators and reviewers edit it there); the
mapping below makes an installed Closer carry its default library wherever it runs.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["bot", "bot.*"]), "bot._prompts"],
    package_dir={"bot._prompts": "prompts"},
)
