"""Readers for real raw SAR data, and the focusing of those data sets.

One module per format, each an adapter turning a mission's files into the raw product of
:mod:`lotusar.sar.model` where the data are stripmap echoes (plain arrays otherwise):

- :mod:`.s1_isp`    Sentinel-1 Level-0 instrument source packets (CCSDS headers, bypass, BAQ and
  FDBAQ decoding after S1-IF-ASD-PL-0007),
- :mod:`.nisar_l0b` NISAR L0B HDF5 (the ALOS-1 PALSAR set),
- :mod:`.radarsat1` RADARSAT-1 raw blocks of the Cumming & Wong CD (Vancouver),
- :mod:`.gotcha`    AFRL Gotcha X-band phase history, with back-projection image formation.

The Doppler centroid estimator of the SAR stage (ACCC, MLCC, ambiguity by focus contrast) is
:mod:`.doppler` (it also records the zero-Doppler output grid of a raw product); focusing
is the SAR core's (:mod:`lotusar.sar.focus`). Submodules are imported on use, so
``import lotusar.sar.readers`` stays cheap.
"""

from __future__ import annotations

__all__ = ["s1_isp", "nisar_l0b", "radarsat1", "gotcha", "doppler", "apps"]
