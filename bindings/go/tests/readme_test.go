package retold_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// README.md shows examples/first/main.go verbatim, and the program prints what the README says.
func TestReadmeExampleRuns(t *testing.T) {
	mod := moduleDir(t)
	readme, err := os.ReadFile(filepath.Join(mod, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```\n\nIt prints:\n\n```text\n(.*?)```").FindSubmatch(readme)
	if blocks == nil {
		t.Fatal("README.md has no ```go block followed by its output")
	}
	source, err := os.ReadFile(filepath.Join(mod, "examples", "first", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if string(blocks[1]) != string(source) {
		t.Fatal("README.md's example differs from examples/first/main.go")
	}
	tmp := t.TempDir()
	run := exec.Command(buildExample(t, "first"))
	run.Dir = tmp // it saves into state/
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("examples/first: %v\n%s", err, out)
	}
	if string(out) != string(blocks[2]) {
		t.Fatalf("examples/first printed\n%s\nREADME.md says\n%s", out, blocks[2])
	}
	if st, err := os.Stat(filepath.Join(tmp, "state")); err != nil || !st.IsDir() {
		t.Fatalf("no state directory saved: %v", err)
	}
}

// buildExample compiles examples/NAME (with the cgo flags run_tests.sh set) and gives its path.
func buildExample(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	build := exec.Command("go", "build", "-o", bin, "./examples/"+name)
	build.Dir = moduleDir(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/%s: %v\n%s", name, err, out)
	}
	return bin
}

// Every function retold.h exports is called by the package (so the binding has the whole API),
// and every C function the package calls is declared there.
func TestEveryHeaderFunctionIsWrapped(t *testing.T) {
	mod := moduleDir(t)
	header, err := os.ReadFile(filepath.Join(mod, "..", "..", "include", "retold", "retold.h"))
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, m := range regexp.MustCompile(`RETOLD_C_API[^;(]*?\b(retold_\w+)\s*\(`).FindAllSubmatch(header, -1) {
		declared[string(m[1])] = true
	}
	if len(declared) < 30 {
		t.Fatalf("only %d functions found in retold.h", len(declared))
	}
	used := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(mod, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\bC\.(retold_\w+)\(`).FindAllSubmatch(src, -1) {
			used[string(m[1])] = true
		}
	}
	// Not wrapped on purpose: the binding reads the message and code of a failure at once
	// (lastError), so it needs neither the code getter nor the reset.
	skipped := map[string]bool{"retold_last_error_code": true, "retold_error_clear": true}
	for name := range declared {
		if !used[name] && !skipped[name] {
			t.Errorf("%s is declared in retold.h but the binding never calls it", name)
		}
	}
	for name := range used {
		if !declared[name] {
			t.Errorf("the binding calls %s, which retold.h does not declare", name)
		}
	}
}
