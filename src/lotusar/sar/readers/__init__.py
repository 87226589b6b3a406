"""Readers for real raw SAR data, and the focusing of those data sets.

One module per format, each turning a mission's files into plain NumPy arrays and metadata
(the SAR-core raw Dataset where the data are stripmap echoes):

- :mod:`.s1_isp`    Sentinel-1 Level-0 instrument source packets (CCSDS headers, bypass, BAQ and
  FDBAQ decoding after S1-IF-ASD-PL-0007),
- :mod:`.nisar_l0b` NISAR L0B HDF5 (the ALOS-1 PALSAR set),
- :mod:`.radarsat1` RADARSAT-1 raw blocks of the Cumming & Wong CD (Vancouver),
- :mod:`.gotcha`    AFRL Gotcha X-band phase history, with back-projection image formation.

The Doppler centroid estimator of the SAR stage (ACCC, MLCC, ambiguity by focus contrast) is
:mod:`.doppler`; :mod:`.convert` makes the raw product (:mod:`lotusar.sar.model`) of a block;
focusing is the SAR core's (:mod:`lotusar.sar.focus`). Submodules are imported on use, so
``import lotusar.sar.readers`` stays cheap.
"""

from __future__ import annotations

__all__ = ["s1_isp", "nisar_l0b", "radarsat1", "gotcha", "doppler", "convert", "apps"]
