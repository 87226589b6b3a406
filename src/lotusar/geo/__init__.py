"""lotusar.geo — SAR products: radar geometry, calibration, speckle filters, terrain
correction and analysis-ready COGs.

Public API: :func:`ard` (end-to-end chain), :func:`lotusar.geo.readers.open_product`,
:mod:`lotusar.geo.geometry` (rdr2geo / geo2rdr), :mod:`lotusar.geo.calibration`,
:mod:`lotusar.geo.filters`, :mod:`lotusar.geo.terrain`.
"""

from __future__ import annotations


def ard(*args, **kwargs):
    """See :func:`lotusar.geo.pipeline.ard` (imported lazily to keep the CLI start fast)."""
    from lotusar.geo.pipeline import ard as _ard

    return _ard(*args, **kwargs)
