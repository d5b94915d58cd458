"""retold: find the same news story told again (Python binding of the retold C ABI).

    import retold
    with retold.Deduplicator(source_priority=["Reuters", "AP"]) as d:
        d.add("r1", "PARIS (Reuters) - France invited ...", timestamp="2024-03-05T09:05:00Z",
              source="Reuters")
        r = d.add("u1", "France has invited ...", timestamp="2024-03-05T11:40:00Z", source="UNN")
        print(r.new_story, d.cluster_of("u1"), d.representative_of("u1"))

The shared library libretold_c.so.1 is loaded from $RETOLD_LIBRARY when set, else from this
package's directory, else from the system's library path.
"""
from . import _native
from ._dedup import (AddResult, Cluster, Deduplicator, Document, Explanation, Feature, Match, Member,
                     Prepared, Scores, Signature, Stats)
from ._errors import (BufferTooSmallError, ClosedError, ConflictError, CorruptedStateError,
                      DuplicateIdError,
                      IncompatibleError, InternalError, InvalidArgumentError, InvalidUtf8Error,
                      NotFoundError, OutOfMemoryError, ParseError, RetoldError, RetoldIOError,
                      TooLargeError)

__version__ = "0.1.0"

#: Path of the loaded shared library.
library_path = _native.library_path


def library_version() -> str:
    """Version of the loaded C library ("major.minor.patch")."""
    return _native.lib.retold_version_string().decode()


def library_version_number() -> int:
    """(major << 16) | (minor << 8) | patch of the loaded C library."""
    return _native.lib.retold_version()


__all__ = [
    "AddResult", "BufferTooSmallError", "ClosedError", "Cluster", "ConflictError",
    "CorruptedStateError",
    "Deduplicator", "Document", "DuplicateIdError", "Explanation", "Feature", "IncompatibleError",
    "InternalError", "InvalidArgumentError", "InvalidUtf8Error", "Match", "Member",
    "NotFoundError", "OutOfMemoryError", "ParseError", "Prepared", "RetoldError", "RetoldIOError",
    "Scores", "Signature", "Stats", "TooLargeError", "library_path", "library_version",
    "library_version_number",
]
