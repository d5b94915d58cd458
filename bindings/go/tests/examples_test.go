package retold_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	retold "github.com/retold/retold/bindings/go"
)

// examples/nightly over two nights (the seed corpus split in two, each night a new process that
// loads yesterday's state) gives the stories of one run over the whole corpus; a third night
// with the same input adds nothing and names every duplicate.
func TestNightlyExampleOverTwoNightsEqualsOneRun(t *testing.T) {
	bin := buildExample(t, "nightly")
	raw, err := os.ReadFile(filepath.Join(seedsDir(t), "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimRight(string(raw), "\n"), "\n")
	half := len(lines) / 2
	state := filepath.Join(t.TempDir(), "state")
	night := func(input string) (string, string) {
		cmd := exec.Command(bin, state)
		cmd.Stdin = strings.NewReader(input)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("nightly: %v\n%s", err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	night(strings.Join(lines[:half], ""))
	out, _ := night(strings.Join(lines[half:], ""))
	if !strings.Contains(out, "added "+strconv.Itoa(len(lines)-half)+" of "+strconv.Itoa(len(lines)-half)) {
		t.Fatalf("second night: %s", out)
	}
	again, skipped := night(strings.Join(lines[half:], ""))
	if !strings.Contains(again, "added 0 of") || strings.Count(skipped, "is already stored") != len(lines)-half {
		t.Fatalf("third night: %s\n%s", again, skipped)
	}

	loaded, err := retold.Load(state)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	one := newDedup(t, retold.WithTimeWindow(72*time.Hour), retold.WithSourcePriority("Reuters", "AP", "AFP"))
	for _, doc := range loadCorpus(t) {
		mustAdd(t, one, doc)
	}
	got, _ := loaded.Clusters(0)
	want, _ := one.Clusters(0)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("two nights:\n%+v\none run:\n%+v", got, want)
	}
}
