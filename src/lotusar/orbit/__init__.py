"""lotusar.orbit — mean elements, SGP4 propagation, frames, passes, Doppler and SAR access.

Modules: ``elements`` (TLE/OMM ingest), ``frames`` (time scales, TEME→ITRS/GCRS, WGS84),
``propagate`` (vectorised SGP4), ``sun`` (analytic Sun, eclipse), ``passes`` (AOS/TCA/LOS),
``doppler`` (range rate, Doppler, antenna tracks), ``access`` (SAR imaging opportunities),
``quicklook`` (PNG plots), ``demo``.
"""
