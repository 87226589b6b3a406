"""Error taxonomy (after rasterio's ``errors.py``).

Every error a *user* can cause (bad file, bad argument, bad request) derives from
:class:`LotusarError`. The CLI turns it into one line on stderr and exit status 2; the HTTP
API turns it into a 4xx JSON error. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class LotusarError(Exception):
    """Root of all user-facing errors: the message is one line naming the problem."""


class InputFormatError(LotusarError, ValueError):
    """A file or stream does not follow its format (TLE checksum, truncated raw file, ...).

    Name the file, the line/offset and the field in the message.
    """


class ValidationError(LotusarError, ValueError):
    """A value is well-formed but not allowed (window ends before it starts, bad polygon, ...)."""


class NotFoundError(LotusarError, KeyError):
    """A named thing (satellite, station, preset, item) does not exist."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class RefuseOverwriteError(LotusarError):
    """An output exists and the caller did not ask to overwrite it."""
