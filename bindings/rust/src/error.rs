//! Errors: every failing call returns [`Error`], which carries the pinned status code of the C
//! ABI as an [`ErrorCode`] and the library's message naming what was wrong (the id, the file, the
//! byte offset).

use std::ffi::CStr;
use std::fmt;
use std::os::raw::c_int;

use retold_sys as sys;

/// The pinned status codes of the C ABI (`RETOLD_E*` in retold.h), one variant per code.
/// [`ErrorCode::raw`] gives the C value; codes never change meaning or number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `RETOLD_EINVALID` (-1): an argument is missing, empty, out of range; API misuse.
    InvalidArgument,
    /// `RETOLD_EUTF8` (-2): a text or id is not valid UTF-8 (the message names the offset).
    InvalidUtf8,
    /// `RETOLD_ENOTFOUND` (-3): an id, story or saved state that does not exist.
    NotFound,
    /// `RETOLD_EINCOMPATIBLE` (-4): a signature, vector or state of another configuration.
    Incompatible,
    /// `RETOLD_EIO` (-5): the operating system refused a read, write or rename.
    Io,
    /// `RETOLD_ECORRUPTED` (-6): a saved state or serialized signature failed its checks.
    Corrupted,
    /// `RETOLD_ENOMEM` (-7): out of memory.
    OutOfMemory,
    /// `RETOLD_ETOOLARGE` (-8): an input exceeds a configured limit (max_document_bytes).
    TooLarge,
    /// `RETOLD_EDUPLICATE` (-9): a document id that is already stored.
    Duplicate,
    /// `RETOLD_EPARSE` (-10): a malformed input record.
    Parse,
    /// `RETOLD_ECONFLICT` (-11): another writer saved the state directory since this
    /// deduplicator loaded or saved it; nothing was written.
    Conflict,
    /// `RETOLD_EBUFSIZE` (-30): a buffer too small. The binding sizes its buffers, so seeing
    /// this is a bug in the binding.
    BufferTooSmall,
    /// `RETOLD_EINTERNAL` (-99): a bug in retold; please report it with the message.
    Internal,
    /// A code this binding does not know (a newer library); [`Error::raw_code`] has it.
    Unknown,
}

const CODES: [(ErrorCode, c_int, &str); 13] = [
    (ErrorCode::InvalidArgument, sys::RETOLD_EINVALID, "invalid_argument"),
    (ErrorCode::InvalidUtf8, sys::RETOLD_EUTF8, "invalid_utf8"),
    (ErrorCode::NotFound, sys::RETOLD_ENOTFOUND, "not_found"),
    (ErrorCode::Incompatible, sys::RETOLD_EINCOMPATIBLE, "incompatible"),
    (ErrorCode::Io, sys::RETOLD_EIO, "io"),
    (ErrorCode::Corrupted, sys::RETOLD_ECORRUPTED, "corrupted_state"),
    (ErrorCode::OutOfMemory, sys::RETOLD_ENOMEM, "out_of_memory"),
    (ErrorCode::TooLarge, sys::RETOLD_ETOOLARGE, "too_large"),
    (ErrorCode::Duplicate, sys::RETOLD_EDUPLICATE, "duplicate_id"),
    (ErrorCode::Parse, sys::RETOLD_EPARSE, "parse"),
    (ErrorCode::Conflict, sys::RETOLD_ECONFLICT, "conflict"),
    (ErrorCode::BufferTooSmall, sys::RETOLD_EBUFSIZE, "buffer_too_small"),
    (ErrorCode::Internal, sys::RETOLD_EINTERNAL, "internal"),
];

impl ErrorCode {
    /// Every known code, in the order of their C values (-1 first).
    pub const ALL: [ErrorCode; 13] = [
        ErrorCode::InvalidArgument,
        ErrorCode::InvalidUtf8,
        ErrorCode::NotFound,
        ErrorCode::Incompatible,
        ErrorCode::Io,
        ErrorCode::Corrupted,
        ErrorCode::OutOfMemory,
        ErrorCode::TooLarge,
        ErrorCode::Duplicate,
        ErrorCode::Parse,
        ErrorCode::Conflict,
        ErrorCode::BufferTooSmall,
        ErrorCode::Internal,
    ];

    /// The C status value (`RETOLD_E*`, negative); 0 for [`ErrorCode::Unknown`].
    pub fn raw(self) -> i32 {
        CODES.iter().find(|c| c.0 == self).map(|c| c.1).unwrap_or(0)
    }

    /// The code of a C status value; [`ErrorCode::Unknown`] for one this binding does not know.
    pub fn from_raw(code: i32) -> ErrorCode {
        CODES.iter().find(|c| c.1 == code).map(|c| c.0).unwrap_or(ErrorCode::Unknown)
    }

    /// The stable short name the C library gives the code (`retold_error_name`), e.g.
    /// `"invalid_utf8"`; `"unknown"` for [`ErrorCode::Unknown`].
    pub fn name(self) -> &'static str {
        CODES.iter().find(|c| c.0 == self).map(|c| c.2).unwrap_or("unknown")
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failed call: the pinned code and the library's message. Plain data (`Send + Sync`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    raw: i32,
    message: String,
}

/// `Result<T, retold::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with a code and a message (what the binding itself refuses before calling C
    /// uses this too, with the code the library would give).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error { raw: code.raw(), message: message.into() }
    }

    pub(crate) fn from_raw(raw: i32, message: String) -> Error {
        Error { raw, message }
    }

    /// The pinned code.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::from_raw(self.raw)
    }

    /// The C status value as returned by the library (negative).
    pub fn raw_code(&self) -> i32 {
        self.raw
    }

    /// The library's message, naming what was wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error of the call that just failed with `rc` on this thread: reads the library's
    /// per-thread message, which stays valid only until the next failing call on this thread,
    /// so this must run on the calling thread right after the call (every wrapper does).
    pub(crate) fn last(rc: c_int) -> Error {
        // SAFETY: retold_last_error() never returns NULL; the string is owned by the library
        // and valid until the next failing call on this thread; it is copied at once.
        let msg = unsafe { CStr::from_ptr(sys::retold_last_error()) }.to_string_lossy().into_owned();
        let msg = if msg.is_empty() { ErrorCode::from_raw(rc).name().to_string() } else { msg };
        Error { raw: rc, message: msg }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code())
    }
}

impl std::error::Error for Error {}

/// `Ok(())` for RETOLD_OK, else the error of this thread's failing call.
pub(crate) fn check(rc: c_int) -> Result<()> {
    if rc == sys::RETOLD_OK {
        Ok(())
    } else {
        Err(Error::last(rc))
    }
}
