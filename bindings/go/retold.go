// Package retold finds the same news story told again: it clusters retold news reports into
// stories with stable ids and picks each story's representative. It is the Go binding of
// retold's C ABI (include/retold/retold.h, libretold_c.so.1), through cgo.
//
//	d, err := retold.New(retold.WithSourcePriority("Reuters", "AP"))
//	if err != nil { ... }
//	defer d.Close()
//	r, err := d.Add(retold.Document{ID: "unn-1", Text: body, Source: "UNN", Timestamp: t})
//	if errors.Is(err, retold.ErrDuplicate) { ... }
//
// Building: cgo needs the header and the shared library. Point it at a CMake build (or an
// installed retold) with CGO_CFLAGS="-I<repo>/include -I<build>/include" and
// CGO_LDFLAGS="-L<build> -Wl,-rpath,<build>" (run_tests.sh does exactly this).
//
// Errors: every failing call returns an *Error holding the pinned Code and the library's
// message; errors.Is(err, retold.ErrNotFound) and the other Err* sentinels test the code.
//
// Threads and goroutines: Deduplicator and Signature are safe for concurrent use; results are
// plain Go values the caller owns. The C library keeps its last error per OS thread, so every
// call holds its goroutine on one thread (runtime.LockOSThread) from the C call until the
// error is read.
package retold

// #cgo LDFLAGS: -lretold_c
// #include <retold/retold.h>
import "C"

// HeaderABIVersion is the ABI generation of the retold.h this package was compiled against
// (RETOLD_C_ABI_VERSION; the SOVERSION of libretold_c).
const HeaderABIVersion = C.RETOLD_C_ABI_VERSION

// HeaderVersionNumber is RETOLD_VERSION_NUMBER of the header: (major << 16) | (minor << 8) |
// patch.
const HeaderVersionNumber = C.RETOLD_VERSION_NUMBER

// LibraryVersion gives the version of the loaded libretold_c ("major.minor.patch").
func LibraryVersion() string { return C.GoString(C.retold_version_string()) }

// LibraryVersionNumber gives the loaded library's (major << 16) | (minor << 8) | patch; it
// differs from HeaderVersionNumber when the shared library was upgraded underneath the program.
func LibraryVersionNumber() uint32 { return uint32(C.retold_version()) }

// LibraryABIVersion gives the ABI generation of the loaded library.
func LibraryABIVersion() uint32 { return uint32(C.retold_abi_version()) }
