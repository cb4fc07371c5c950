"""The error hierarchy. Every error caused by user input is an ``RnnkitError``.

The CLI turns an ``RnnkitError`` into one line on stderr and exit code 2, with no traceback.
Library callers catch ``RnnkitError`` (or a subclass) to handle bad input.
"""

from __future__ import annotations


class RnnkitError(Exception):
    """Base class: a problem with the caller's input, files or environment (not a bug)."""


class ConfigError(RnnkitError, ValueError):
    """A configuration value, TOML file or flag is invalid."""


class DataError(RnnkitError, ValueError):
    """Input data is missing, malformed or unusable (NaN, wrong column, empty, ...)."""


class DatasetUnavailable(RnnkitError):
    """A built-in dataset's source package or system files are not installed."""


class ModelFileError(RnnkitError):
    """A model directory is missing, corrupted, truncated or of an unknown format."""


class ShapeError(RnnkitError, ValueError):
    """A tensor argument has the wrong shape, dtype or length."""


def not_utf8(path: object, err: UnicodeDecodeError) -> DataError:
    """The error for a file that should be UTF-8 text and is not (a binary file, say)."""
    return DataError(f"{path}: not UTF-8 text (byte {err.start}: {err.reason})")
