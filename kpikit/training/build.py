"""Build the trainee and facilitator versions of the training workbooks.

There is one source per module, ``workbooks/training/NN_*.ipynb``. In it, a
cell tagged ``exercise`` is the trainee's placeholder (``answer = ...``) and the
cell tagged ``solution`` right after it is the worked answer. The build drops
one or the other with nbconvert's ``TagRemovePreprocessor``:

=============  ===========================================
variant        keeps
=============  ===========================================
``trainee``    placeholders (``exercise``); no solutions
``facilitator`` worked answers (``solution``); no placeholders
=============  ===========================================

Outputs are cleared in both. Run ``python -m kpikit.training.build --out DIR``.

Examples
--------
>>> import nbformat
>>> from kpikit.training.build import variant
>>> nb = nbformat.v4.new_notebook(cells=[
...     nbformat.v4.new_code_cell("x = ...", metadata={"tags": ["exercise"]}),
...     nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["solution"]}),
... ])
>>> [c.source for c in variant(nb, "trainee").cells], [c.source for c in variant(nb, "facilitator").cells]
(['x = ...'], ['x = 1'])
"""

from __future__ import annotations

import argparse
import copy
from collections.abc import Sequence
from pathlib import Path

import nbformat

from kpikit.core.paths import training_dir
from kpikit.errors import KpikitError, OptionError

__all__ = ["VARIANTS", "SOURCE_DIR", "variant", "build", "main", "check_sources"]

SOURCE_DIR = training_dir()
# variant -> cell tags it removes
VARIANTS: dict[str, frozenset[str]] = {
    "trainee": frozenset({"solution"}),
    "facilitator": frozenset({"exercise"}),
}


def variant(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` as the ``trainee`` or ``facilitator`` sees it, outputs cleared."""
    from nbconvert.preprocessors import ClearOutputPreprocessor, TagRemovePreprocessor  # slow import

    if name not in VARIANTS:
        raise OptionError("variant", name, sorted(VARIANTS))
    out = copy.deepcopy(nb)
    remove = TagRemovePreprocessor(remove_cell_tags=set(VARIANTS[name]), enabled=True)
    out, _ = remove.preprocess(out, {})
    out, _ = ClearOutputPreprocessor().preprocess(out, {})
    out.metadata["kpikit"] = {"variant": name}
    return out


def check_sources(source: str | Path = SOURCE_DIR) -> list[str]:
    """Problems in the source workbooks: every ``exercise`` cell needs a ``solution`` right after it."""
    problems = []
    for path in sorted(Path(source).glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        for i, cell in enumerate(cells):
            tags = set(cell.metadata.get("tags", []))
            if "exercise" in tags:
                nxt = cells[i + 1] if i + 1 < len(cells) else None
                if nxt is None or "solution" not in nxt.metadata.get("tags", []):
                    problems.append(f"{path.name}: cell {i} is tagged 'exercise' but the next cell is no 'solution'")
            if "solution" in tags and not (i and "exercise" in cells[i - 1].metadata.get("tags", [])):
                problems.append(f"{path.name}: cell {i} is tagged 'solution' without an 'exercise' cell before it")
    return problems


def build(
    out_dir: str | Path, *, source: str | Path = SOURCE_DIR, variants: Sequence[str] = tuple(VARIANTS)
) -> list[Path]:
    """Write ``out_dir/<variant>/<module>.ipynb`` for every source workbook.

    Returns
    -------
    list of Path
        The notebooks written.

    Raises
    ------
    KpikitError
        When there is no source workbook, or an ``exercise`` cell has no
        ``solution`` right after it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp())
    >>> paths = build(out)
    >>> sorted({p.parent.name for p in paths}), len(paths) == 2 * len(list(SOURCE_DIR.glob("*.ipynb")))
    (['facilitator', 'trainee'], True)
    """
    source = Path(source)
    sources = sorted(source.glob("*.ipynb"))
    if not sources:
        raise KpikitError("no training workbooks found", file=str(source), fix="pass --source workbooks/training")
    problems = check_sources(source)
    if problems:
        raise KpikitError("; ".join(problems), file=str(source), fix="tag each placeholder/solution pair")
    written = []
    for name in variants:
        folder = Path(out_dir) / name
        folder.mkdir(parents=True, exist_ok=True)
        for path in sources:
            nb = variant(nbformat.read(path, as_version=4), name)
            target = folder / path.name
            nbformat.write(nb, target)
            written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kpikit.training.build",
        description="Write trainee (no solutions) and facilitator (worked answers) training workbooks.",
    )
    parser.add_argument("--out", required=True, help="output folder; gets trainee/ and facilitator/")
    parser.add_argument("--source", default=str(SOURCE_DIR), help="folder of the source workbooks")
    parser.add_argument("--variant", choices=sorted(VARIANTS), action="append", help="build only this variant")
    args = parser.parse_args(argv)
    paths = build(args.out, source=args.source, variants=args.variant or tuple(VARIANTS))
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
