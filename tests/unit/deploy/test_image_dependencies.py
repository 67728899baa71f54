"""The image installs only the project's runtime dependencies (pyproject's `dependencies`, pinned
by the lock), not the dev extra the tests run with. So every third-party module the packages it
ships import must come from a runtime dependency or one of theirs; an `import pandas` in a
service would pass every other test and break the image."""

import ast
import sys
import tomllib
from importlib import metadata

from deploy_support import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def shipped_sources() -> list:
    finder = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    return sorted(
        path
        for where in finder["packages"]["find"]["where"]
        for path in (ROOT / where).rglob("*.py")
    )


def imported_modules(paths) -> set[str]:
    """Top-level names of the absolute imports in ``paths``."""
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def runtime_distributions() -> set[str]:
    """The runtime dependencies and everything they require, extras included, as installed."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pending = [Requirement(line) for line in project["dependencies"]]
    seen: dict[str, set[str]] = {}
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        if name in seen and extras <= seen[name]:
            continue
        seen[name] = seen.get(name, set()) | extras
        for line in metadata.requires(name) or []:
            needed = Requirement(line)
            environments = [{"extra": extra} for extra in ("", *seen[name])]
            if needed.marker is None or any(needed.marker.evaluate(e) for e in environments):
                pending.append(needed)
    return set(seen)


def third_party_without_runtime_dependency(modules: set[str]) -> list[str]:
    """The modules of ``modules`` no runtime distribution provides (stdlib and ours aside)."""
    providers = metadata.packages_distributions()
    runtime = runtime_distributions()
    missing = []
    for module in sorted(modules):
        if module in sys.stdlib_module_names or module.startswith("frequenta"):
            continue
        dists = {canonicalize_name(dist) for dist in providers.get(module, [])}
        if not dists & runtime:
            missing.append(f"{module} (from {', '.join(sorted(dists)) or 'nothing installed'})")
    return missing


def test_every_import_of_the_shipped_packages_is_a_runtime_dependency() -> None:
    modules = imported_modules(shipped_sources())
    assert {"grpc", "sqlalchemy", "fastapi", "onnxruntime"} <= modules
    assert third_party_without_runtime_dependency(modules) == []


def test_a_dev_only_import_is_caught() -> None:
    assert third_party_without_runtime_dependency({"pandas", "pytest", "numpy", "json"}) == [
        "pandas (from pandas)",
        "pytest (from pytest)",
    ]
