"""Typed exceptions: one class per C status code, all deriving from RetoldError.

Each also derives from the closest built-in exception (ValueError, KeyError, OSError,
MemoryError), so code that already catches those keeps working.
"""
from __future__ import annotations

from . import _native as N


class RetoldError(Exception):
    """Base class of every error retold raises. `code` is the C status (a negative RETOLD_E*
    value), `message` the library's message naming what was wrong."""

    code = N.EINTERNAL

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.message


class InvalidArgumentError(RetoldError, ValueError):
    """A parameter is missing, empty, out of range, or the API was misused."""
    code = N.EINVALID


class InvalidUtf8Error(RetoldError, ValueError):
    """A text is not valid UTF-8; the message names the byte offset."""
    code = N.EUTF8


class NotFoundError(RetoldError, KeyError):
    """An id, story or saved state that does not exist."""
    code = N.ENOTFOUND


class IncompatibleError(RetoldError, ValueError):
    """Signatures, vectors or a state made by another configuration."""
    code = N.EINCOMPATIBLE


class RetoldIOError(RetoldError, OSError):
    """The operating system refused a read, write or rename."""
    code = N.EIO


class CorruptedStateError(RetoldError):
    """A saved state or serialized signature failed its integrity checks."""
    code = N.ECORRUPTED


class OutOfMemoryError(RetoldError, MemoryError):
    code = N.ENOMEM


class TooLargeError(RetoldError, ValueError):
    """An input exceeds a configured limit (max_document_bytes)."""
    code = N.ETOOLARGE


class DuplicateIdError(RetoldError, ValueError):
    """A document id that is already stored."""
    code = N.EDUPLICATE


class ParseError(RetoldError, ValueError):
    code = N.EPARSE


class ConflictError(RetoldError):
    """Another writer saved the state directory since this Deduplicator loaded or saved it (or
    it holds a state this one never loaded): nothing was written. Load again and re-add, or
    save(path, replace=True) to overwrite on purpose."""
    code = N.ECONFLICT


class BufferTooSmallError(RetoldError):
    """Internal: the binding sizes its buffers, so users should never see this."""
    code = N.EBUFSIZE


class InternalError(RetoldError):
    """A bug in retold: please report it with the message."""
    code = N.EINTERNAL


class ClosedError(RetoldError, ValueError):
    """The Deduplicator was closed."""
    code = N.EINVALID


_BY_CODE = {cls.code: cls for cls in (
    InvalidArgumentError, InvalidUtf8Error, NotFoundError, IncompatibleError, RetoldIOError,
    CorruptedStateError, OutOfMemoryError, TooLargeError, DuplicateIdError, ParseError,
    ConflictError, BufferTooSmallError, InternalError)}


def error_for(code: int, message: str | None = None) -> RetoldError:
    """The exception for a status code, with the library's last message of this thread."""
    if message is None:
        raw = N.lib.retold_last_error()
        message = raw.decode("utf-8", "replace") if raw else ""
    cls = _BY_CODE.get(code, RetoldError)
    return cls(message or N.lib.retold_error_name(code).decode(), code)


def check(code: int) -> None:
    """Raises the typed exception for a failing status."""
    if code != N.OK:
        raise error_for(code)
