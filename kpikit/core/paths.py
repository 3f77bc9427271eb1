"""Where kpikit finds its workbooks, templates and sample data: the one lookup.

The folders live at the top of the repository (``workbooks/``, ``templates/``,
``data_samples/``; their place is fixed). A wheel carries copies of them in
``kpikit/_data/`` (``setup.py`` copies them at build time). An editable install
or a plain checkout has no ``_data`` folder and reads them in place from the
repository root beside ``kpikit/``. Either way the three folders sit side by
side, so a workbook's relative default (``../data_samples/lumora/client.yaml``)
resolves in both layouts.

Examples
--------
>>> from kpikit.core import paths
>>> paths.workbook("report.ipynb").is_file()
True
>>> paths.workbook("report.ipynb").parent == paths.workbooks_dir() == paths.data_root() / "workbooks"
True
>>> sorted(p.name for p in paths.training_dir().glob("01_*.ipynb"))
['01_vanity_vs_value.ipynb']
>>> (paths.report_template_dir() / paths.REPORT_TEMPLATE_NAME / "index.html.j2").is_file()
True
>>> (paths.workshop_template_dir() / "voila" / "templates" / paths.WORKSHOP_TEMPLATE_NAME / "conf.json").is_file()
True
>>> paths.client_template().name, paths.column_maps_dir().parent == paths.templates_dir()
('client.yaml', True)
>>> (paths.data_samples_dir() / "clients.yaml").is_file()
True
>>> paths.workbook("../setup.py")
Traceback (most recent call last):
...
kpikit.errors.KpikitError: workbook name must be a path inside workbooks/ (found '../setup.py')...
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path, PurePosixPath

from kpikit.errors import KpikitError

__all__ = [
    "BUNDLE_DIR",
    "FOLDERS",
    "REPORT_TEMPLATE_NAME",
    "data_root",
    "is_bundled",
    "workbooks_dir",
    "workbook",
    "training_dir",
    "templates_dir",
    "client_template",
    "column_maps_dir",
    "report_template_dir",
    "WORKSHOP_TEMPLATE_NAME",
    "workshop_template_dir",
    "data_samples_dir",
]

#: Folder inside the installed package that holds the copies (``kpikit/_data``); setup.py writes it.
BUNDLE_DIR = "_data"
#: Top-level repository folders the wheel carries (setup.py keeps its own copy of this tuple).
FOLDERS = ("workbooks", "templates", "data_samples")
#: nbconvert template of the client-ready report page (``templates/report/kpikit_report``).
REPORT_TEMPLATE_NAME = "kpikit_report"
#: Voila template of the workshop page (``templates/workshop/voila/templates/kpikit_workshop``).
WORKSHOP_TEMPLATE_NAME = "kpikit_workshop"


def _package_dir() -> Path:
    # An unpacked wheel or an editable install gives a real folder. In Python 3.11
    # ``as_file()`` cannot extract directories, so a zipped kpikit is not supported.
    return Path(str(files("kpikit")))


@cache
def data_root() -> Path:
    """The folder holding ``workbooks/``, ``templates/`` and ``data_samples/``.

    Returns
    -------
    pathlib.Path
        ``<site-packages>/kpikit/_data`` for a wheel install, else the repository
        root (the parent of ``kpikit/``) for an editable install or a checkout.
    """
    package = _package_dir()
    bundle = package / BUNDLE_DIR
    # The bundle wins: beside an installed package, site-packages may hold anything.
    if (bundle / FOLDERS[0]).is_dir():
        return bundle
    return package.parent


def is_bundled() -> bool:
    """Whether the files come from the installed package (a wheel) rather than a repository checkout."""
    return data_root().name == BUNDLE_DIR and data_root().parent == _package_dir()


def workbooks_dir() -> Path:
    """``workbooks/``: the parameterised report and workshop notebooks, and ``training/``."""
    return data_root() / "workbooks"


def workbook(name: str) -> Path:
    """The path of workbook ``name`` (e.g. ``"report.ipynb"``, ``"training/01_vanity_vs_value.ipynb"``).

    The file is not required to exist: callers say what is missing in their own words.

    Raises
    ------
    KpikitError
        if ``name`` is absolute or climbs out of ``workbooks/``.
    """
    parts = PurePosixPath(str(name).replace("\\", "/"))
    if not str(name) or parts.is_absolute() or ".." in parts.parts:
        raise KpikitError(
            "workbook name must be a path inside workbooks/",
            found=repr(name),
            fix="e.g. 'report.ipynb' or 'training/01_vanity_vs_value.ipynb'",
        )
    return workbooks_dir().joinpath(*parts.parts)


def training_dir() -> Path:
    """``workbooks/training/``: one source notebook per training module."""
    return workbooks_dir() / "training"


def templates_dir() -> Path:
    """``templates/``: the client template, column maps and the report's nbconvert template."""
    return data_root() / "templates"


def client_template() -> Path:
    """``templates/client.yaml``: what ``kpikit new-client`` copies."""
    return templates_dir() / "client.yaml"


def column_maps_dir() -> Path:
    """``templates/column_maps/``: maps kpikit tries when a client folder has none that fits."""
    return templates_dir() / "column_maps"


def report_template_dir() -> Path:
    """``templates/report/``: the nbconvert template base folder (holds :data:`REPORT_TEMPLATE_NAME`)."""
    return templates_dir() / "report"


def workshop_template_dir() -> Path:
    """``templates/workshop/``: a Jupyter data folder holding ``voila/templates/`` :data:`WORKSHOP_TEMPLATE_NAME`.

    Voila finds templates on ``JUPYTER_PATH``: put this folder on it.
    """
    return templates_dir() / "workshop"


def data_samples_dir() -> Path:
    """``data_samples/``: the generated sample clients used by ``kpikit demo`` and the training."""
    return data_root() / "data_samples"
