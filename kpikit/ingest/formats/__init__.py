"""Registered export formats; importing this package registers the built-ins.

Adding a format is one module here that calls :func:`register_format`, plus
one import line below.
"""

from kpikit.ingest.formats import google_ads, hubspot, linkedin, meta, salesforce  # noqa: F401  (registration)
from kpikit.ingest.formats.base import FORMATS, Footer, Format, ReadOptions, as_footer, norm_header, register_format

__all__ = ["FORMATS", "Footer", "Format", "ReadOptions", "as_footer", "norm_header", "register_format", "detect_format"]


def detect_format(*args, **kwargs):
    """See :func:`kpikit.ingest.detect.detect_format`."""
    from kpikit.ingest.detect import detect_format as _detect

    return _detect(*args, **kwargs)
