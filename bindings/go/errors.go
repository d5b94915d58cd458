package retold

// #include <retold/retold.h>
import "C"

import (
	"errors"
	"fmt"
	"strconv"
)

// Code is a pinned status code of the C ABI (retold.h: RETOLD_E*): the same numbers in every
// binding and release, never renumbered. 0 is success; failures are negative.
type Code int32

// The pinned codes. Their values are those of retold.h (checked by the tests against the
// library's own names, retold_error_name()).
const (
	CodeOK           Code = 0
	CodeInvalid      Code = -1  // an argument is missing, empty, out of range; misuse of the API
	CodeInvalidUTF8  Code = -2  // a text or id is not valid UTF-8 (the message names the offset)
	CodeNotFound     Code = -3  // an id, story or saved state that does not exist
	CodeIncompatible Code = -4  // a signature, vector or state made by another configuration
	CodeIO           Code = -5  // the operating system refused a read, write or rename
	CodeCorrupted    Code = -6  // a saved state or serialized signature failed its checks
	CodeNoMemory     Code = -7  // out of memory
	CodeTooLarge     Code = -8  // an input exceeds a configured limit (max_document_bytes)
	CodeDuplicate    Code = -9  // a document id that is already stored
	CodeParse        Code = -10 // a malformed input record
	CodeConflict     Code = -11 // another writer saved the state directory in between
	CodeBufferSize   Code = -30 // a buffer is too small (the binding sizes its buffers itself)
	CodeInternal     Code = -99 // a bug in retold: please report it with the message
)

// Name is the library's short stable name of the code ("invalid_utf8", "not_found", ...;
// "unknown" for a number that is not a code). Thread-safe.
func (c Code) Name() string { return C.GoString(C.retold_error_name(C.int(c))) }

// String gives the name and the number, e.g. "not_found (-3)".
func (c Code) String() string { return c.Name() + " (" + strconv.Itoa(int(c)) + ")" }

// codeSentinel is the type of the Err* sentinels: comparable, one per code.
type codeSentinel struct{ code Code }

// Error gives "retold: " and the code's name.
func (s *codeSentinel) Error() string { return "retold: " + s.code.Name() }

// Sentinel errors, one per pinned code. Every error this package returns is an *Error, and
// errors.Is(err, ErrNotFound) is true exactly when its Code is CodeNotFound (and so on), however
// the error was wrapped since.
var (
	ErrInvalid      error = &codeSentinel{CodeInvalid}
	ErrInvalidUTF8  error = &codeSentinel{CodeInvalidUTF8}
	ErrNotFound     error = &codeSentinel{CodeNotFound}
	ErrIncompatible error = &codeSentinel{CodeIncompatible}
	ErrIO           error = &codeSentinel{CodeIO}
	ErrCorrupted    error = &codeSentinel{CodeCorrupted}
	ErrNoMemory     error = &codeSentinel{CodeNoMemory}
	ErrTooLarge     error = &codeSentinel{CodeTooLarge}
	ErrDuplicate    error = &codeSentinel{CodeDuplicate}
	ErrParse        error = &codeSentinel{CodeParse}
	ErrConflict     error = &codeSentinel{CodeConflict}
	ErrBufferSize   error = &codeSentinel{CodeBufferSize}
	ErrInternal     error = &codeSentinel{CodeInternal}
)

// ErrClosed is returned (inside an *Error with CodeInvalid) by every call on a Deduplicator or
// Signature after its Close(): errors.Is(err, ErrClosed) and errors.Is(err, ErrInvalid) both
// hold.
var ErrClosed = errors.New("retold: use after Close")

var sentinels = map[Code]error{
	CodeInvalid: ErrInvalid, CodeInvalidUTF8: ErrInvalidUTF8, CodeNotFound: ErrNotFound,
	CodeIncompatible: ErrIncompatible, CodeIO: ErrIO, CodeCorrupted: ErrCorrupted,
	CodeNoMemory: ErrNoMemory, CodeTooLarge: ErrTooLarge, CodeDuplicate: ErrDuplicate,
	CodeParse: ErrParse, CodeConflict: ErrConflict, CodeBufferSize: ErrBufferSize,
	CodeInternal: ErrInternal,
}

// Error is the error value of every failing call: the pinned Code and the library's Message,
// which names what was wrong (the id, the option, the file, the byte offset), e.g.
// "retold_dedup_remove: no document 'ghost'". Use errors.Is with the Err* sentinels to test the
// code, errors.As to read the fields. Plain data: safe to keep and share.
type Error struct {
	Code    Code
	Message string
	wrapped error // ErrClosed for a call after Close; nil otherwise
}

// Error gives "retold: " and the message.
func (e *Error) Error() string { return "retold: " + e.Message }

// Is reports whether target is the sentinel of e's code.
func (e *Error) Is(target error) bool {
	s, ok := target.(*codeSentinel)
	return ok && s.code == e.Code
}

// Unwrap gives ErrClosed for a call after Close, else nil.
func (e *Error) Unwrap() error { return e.wrapped }

// Sentinel returns the Err* value of code (nil for CodeOK or an unknown number).
func Sentinel(code Code) error { return sentinels[code] }

// lastError builds the error of a failed call from this OS thread's last message. The caller
// must have held its goroutine on the thread since the failing call (runtime.LockOSThread):
// the C library keeps the message per thread.
func lastError(rc C.int) error {
	msg := C.GoString(C.retold_last_error())
	if msg == "" {
		msg = Code(rc).Name()
	}
	return &Error{Code: Code(rc), Message: msg}
}

// invalidf is an argument the binding refuses before calling the library.
func invalidf(format string, args ...any) error {
	return &Error{Code: CodeInvalid, Message: fmt.Sprintf(format, args...)}
}

func closedError(what string) error {
	return &Error{Code: CodeInvalid, Message: "the " + what + " is closed", wrapped: ErrClosed}
}
