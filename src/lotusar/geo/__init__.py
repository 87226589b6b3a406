"""lotusar.geo — SAR products: radar geometry, calibration, speckle filters, terrain
correction and analysis-ready COGs.

Public API: :func:`ard` (end-to-end chain), :func:`lotusar.geo.readers.open_product`,
:mod:`lotusar.geo.geometry` (topographic layers; rdr2geo / geo2rdr are :mod:`lotusar.sar.model`'s), :mod:`lotusar.geo.calibration`,
:mod:`lotusar.geo.filters`, :mod:`lotusar.geo.terrain`.
"""

from __future__ import annotations


def __getattr__(name: str):
    """``lotusar.geo.ard`` is :func:`lotusar.geo.pipeline.ard`, loaded on first use (keeps the CLI start fast)."""
    if name == "ard":
        from lotusar.geo.pipeline import ard

        return ard
    raise AttributeError(f"module 'lotusar.geo' has no attribute {name!r}")
