"""deploy/docker/Dockerfile through hadolint (the wheel's binary, in the virtualenv), and what a
linter cannot see: the build copies every package the project installs, runs as a non-root user,
and .dockerignore keeps local state out of the build context."""

import fnmatch
import re
import subprocess
import tomllib

from deploy_support import DOCKERFILE, ROOT, procfile_commands, tool


def hadolint(path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("hadolint"), "--no-color", "--failure-threshold", "info", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each line, continuations joined."""
    joined = re.sub(r"\\\n", " ", text)
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1])
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_hadolint_finds_nothing() -> None:
    result = hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_a_careless_dockerfile(tmp_path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text(
        "FROM python:latest\nRUN apt-get update && apt-get install -y curl\n"
        "RUN pip install requests\nCMD python -m frequenta_gateway serve\n"
    )
    result = hadolint(careless)
    assert result.returncode != 0
    for rule in ("DL3007", "DL3008", "DL3013", "DL3042", "DL3025"):
        assert rule in result.stdout, rule


def test_multi_stage_slim_and_non_root() -> None:
    steps = instructions(DOCKERFILE.read_text())
    stages = [args for op, args in steps if op == "FROM"]
    assert len(stages) >= 2, "a build stage and a runtime stage"
    base = next(args for op, args in steps if op == "ARG" and args.startswith("PYTHON_IMAGE="))
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11-slim\S*", base), base
    users = [args for op, args in steps if op == "USER"]
    assert users and re.fullmatch(r"[1-9]\d{3,}:[1-9]\d{3,}", users[-1]), "a numeric non-root user"
    assert not any(op == "ENTRYPOINT" for op, _ in steps), "the command picks the process"


def test_the_build_copies_every_package_and_checks_every_process() -> None:
    text = DOCKERFILE.read_text()
    copied = {args.split()[0].rstrip("/") for op, args in instructions(text) if op == "COPY"}
    finder = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_roots = {where.split("/")[0] for where in finder["packages"]["find"]["where"]}
    assert package_roots <= copied, package_roots - copied
    modules = {argv[2] for argv in procfile_commands().values()}
    smoke = re.search(r"python -c 'import (frequenta_[^']+)'", text).group(1)
    imported = {name.strip().removesuffix(".__main__") for name in smoke.split(",")}
    assert modules | {"frequenta_db", "frequenta_ops.probe"} <= imported


def test_the_image_carries_the_chart_library_that_make_web_copies() -> None:
    """The pages load Chart.js from the path `make web` fills; the image fills the same one
    from the same package-lock.json, and the wheel's package data takes it in."""
    vendor = re.search(
        r"^WEB_VENDOR\s*:=\s*\$\(WEB\)/(\S+)$", (ROOT / "Makefile").read_text(), re.M
    )
    web = re.search(r"^WEB\s*:=\s*(\S+)$", (ROOT / "Makefile").read_text(), re.M)
    target = f"{web.group(1)}/{vendor.group(1)}"
    copies = [args.split() for op, args in instructions(DOCKERFILE.read_text()) if op == "COPY"]
    assert any(parts[0] == "--from=web" and parts[-1] == target for parts in copies), target
    assert any(f"{web.group(1)}/package-lock.json" in parts for parts in copies)
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = data["package-data"]["frequenta_gateway.painel"]
    relative = target.removeprefix("gateway/frequenta_gateway/painel/")
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


def test_dockerignore_keeps_local_state_out_but_not_what_the_build_copies() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(
            fnmatch.fnmatch(path, pattern.rstrip("/").removeprefix("**/"))
            or fnmatch.fnmatch(path.split("/")[0], pattern.rstrip("/"))
            for pattern in patterns
        )

    for local in (".venv", "gen", ".git", ".env", ".run", "tests"):
        assert ignored(local), local
    sources = [
        args.split()[0].rstrip("/")
        for op, args in instructions(DOCKERFILE.read_text())
        if op == "COPY" and not args.startswith("--from")
    ]
    assert sources and not [source for source in sources if ignored(source)]
    assert all((ROOT / source).exists() for source in sources)
