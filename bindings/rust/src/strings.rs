//! Conversions between Rust strings and the C ABI's NUL-terminated UTF-8 strings.

use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::path::Path;

use crate::error::{Error, ErrorCode, Result};

/// A NUL-terminated copy of `s` for a C call; `what` names the argument in the error when `s`
/// holds a NUL (the C ABI could not see past it).
pub(crate) fn c_string(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|e| {
        Error::new(ErrorCode::InvalidArgument, format!("{} contains a NUL byte at offset {}", what, e.nul_position()))
    })
}

/// A path as the NUL-terminated bytes the C library opens.
pub(crate) fn c_path(path: &Path) -> Result<CString> {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path
        .to_str()
        .ok_or_else(|| Error::new(ErrorCode::InvalidArgument, format!("path {:?} is not UTF-8", path)))?
        .as_bytes()
        .to_vec();
    CString::new(bytes)
        .map_err(|_| Error::new(ErrorCode::InvalidArgument, format!("path {:?} contains a NUL byte", path)))
}

/// A string the library returned, borrowed for as long as the caller keeps its owner alive.
/// The library hands back only strings it accepted as valid UTF-8 (ids, sources, names), so the
/// fallback for anything else, U+FFFD, is never expected; NULL reads as "".
///
/// # Safety
/// `p` is NULL or a NUL-terminated string that lives at least for `'a`.
pub(crate) unsafe fn borrowed_str<'a>(p: *const c_char) -> &'a str {
    if p.is_null() {
        return "";
    }
    CStr::from_ptr(p).to_str().unwrap_or("\u{FFFD}")
}

/// An owned copy of a string the library returned (invalid UTF-8, never expected, is replaced).
///
/// # Safety
/// As [`borrowed_str`].
pub(crate) unsafe fn owned_string(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    CStr::from_ptr(p).to_string_lossy().into_owned()
}

/// Calls `f` with a NUL-terminated copy of `s`, made on the stack when short (ids usually are),
/// so a lookup by id allocates nothing. `what` names the argument when `s` holds a NUL.
pub(crate) fn with_c_str<R>(s: &str, what: &str, f: impl FnOnce(*const c_char) -> R) -> Result<R> {
    const STACK: usize = 256;
    let bytes = s.as_bytes();
    if let Some(p) = bytes.iter().position(|&b| b == 0) {
        return Err(Error::new(ErrorCode::InvalidArgument, format!("{} contains a NUL byte at offset {}", what, p)));
    }
    if bytes.len() < STACK {
        let mut buf = [0u8; STACK];
        buf[..bytes.len()].copy_from_slice(bytes);
        Ok(f(buf.as_ptr() as *const c_char))
    } else {
        let c = CString::new(bytes).expect("checked for NUL above");
        Ok(f(c.as_ptr()))
    }
}
