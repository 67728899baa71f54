"""Execute a notebook on this interpreter's ipykernel, optionally with other parameters.

    .venv/bin/python notebooks/run_notebook.py notebooks/churn_model.ipynb \\
        --output build/notebooks/churn_model.ipynb -p members=1000 -p months=12

- Parameters are injected papermill-style: the code cell tagged ``parameters`` has the value of
  each named assignment replaced (``-p name=value``, the value read as a Python literal, else as a
  string). A name the cell does not assign is an error, so a typo cannot go unnoticed.
- The kernel is ipykernel on ``sys.executable``, whatever kernelspecs are installed: a
  ``python3`` kernelspec in ~/.local/share/jupyter or /usr/share/jupyter could otherwise start
  another interpreter, without the project's packages. Run this with the venv's python and the
  kernel imports what the venv has (the project installed editable, gen/ by its .pth file).
- The kernel's working directory is the notebook's folder, as in Jupyter. The executed copy is
  written to ``--output`` even when a cell fails (with the error in its outputs); the failure is
  then raised (``nbclient.exceptions.CellExecutionError``).

The tests (tests/notebooks/) and ``make notebook`` both run notebooks through ``execute``.
"""

import argparse
import ast
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from ipykernel.kernelspec import RESOURCES, get_kernel_dict
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

KERNEL_NAME = "python3"
PARAMETERS_TAG = "parameters"


def kernel_spec() -> KernelSpec:
    """ipykernel on the interpreter running this code."""
    return KernelSpec(name=KERNEL_NAME, resource_dir=RESOURCES, **get_kernel_dict())


class ThisInterpreterKernels(KernelSpecManager):
    """Knows one kernel, ``python3``, and it is ipykernel on ``sys.executable``."""

    def find_kernel_specs(self) -> dict[str, str]:
        return {KERNEL_NAME: RESOURCES}

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return kernel_spec()


def inject_parameters(nb: nbformat.NotebookNode, parameters: Mapping[str, Any]) -> None:
    """Replace the values assigned in the cell tagged ``parameters`` (in place)."""
    cells = [c for c in nb.cells if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1 or cells[0].cell_type != "code":
        raise ValueError(f"expected one code cell tagged {PARAMETERS_TAG!r}, found {len(cells)}")
    cell = cells[0]
    lines = cell.source.splitlines()
    assigned = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                assigned[target.id] = node
    unknown = sorted(set(parameters) - set(assigned))
    if unknown:
        raise KeyError(f"the parameters cell does not assign {', '.join(unknown)}")
    # bottom-up, so the line numbers of the assignments not yet replaced stay valid
    for name in sorted(parameters, key=lambda n: assigned[n].lineno, reverse=True):
        node = assigned[name]
        default = ast.get_source_segment(cell.source, node.value)
        lines[node.lineno - 1 : node.end_lineno] = [
            f"{name} = {parameters[name]!r}  # injected (default: {default})"
        ]
    cell.source = "\n".join(lines)


def parse_parameter(text: str) -> tuple[str, Any]:
    """``name=value``: the value as a Python literal when it is one, else as a string."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    try:
        return name.strip(), ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name.strip(), value


def execute(
    notebook: Path,
    output: Path | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: int = 600,
) -> nbformat.NotebookNode:
    """Run every cell of ``notebook`` in a fresh kernel; return the executed notebook.

    ``env`` is added to this process's environment for the kernel (e.g. MPLBACKEND=Agg);
    ``timeout`` is per cell, in seconds. Raises on the first cell that fails."""
    notebook = Path(notebook)
    nb = nbformat.read(notebook, as_version=4)
    if parameters:
        inject_parameters(nb, parameters)
    manager = AsyncKernelManager(
        kernel_name=KERNEL_NAME, kernel_spec_manager=ThisInterpreterKernels()
    )
    client = NotebookClient(
        nb,
        km=manager,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(notebook.resolve().parent)}},
    )
    try:
        client.execute(env={**os.environ, **(env or {})})
    finally:
        if output is not None:
            output = Path(output)
            output.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, output)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("-o", "--output", type=Path, help="where to write the executed copy")
    parser.add_argument(
        "-p",
        "--parameter",
        type=parse_parameter,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for the parameters cell (repeatable)",
    )
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    execute(args.notebook, args.output, parameters=dict(args.parameter), timeout=args.timeout)
    print(f"executed {args.notebook}" + (f" -> {args.output}" if args.output else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
