package keyfold

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// readmeBlocks returns the README's first ```go block (the example program) and the ```text
// block after it (what the program prints).
func readmeBlocks(t *testing.T) (program, output string) {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := func(s, fence string) (string, string) {
		i := strings.Index(s, fence+"\n")
		if i < 0 {
			t.Fatalf("README.md has no %s block", fence)
		}
		s = s[i+len(fence)+1:]
		j := strings.Index(s, "\n```")
		if j < 0 {
			t.Fatalf("README.md: unterminated %s block", fence)
		}
		return s[:j+1], s[j+4:]
	}
	program, rest := block(string(b), "```go")
	output, _ = block(rest, "```text")
	return program, output
}

// The README's printed values are JAX's and Flax's: the oracle's Flax 0.10 reseed-docstring
// case (the example's session, in the default era), formatted as fmt prints []float32.
func TestReadmeOutputIsJAX(t *testing.T) {
	_, output := readmeBlocks(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "vectors", "jax-oracle-flax-0.10.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			ID      string
			Kernel  struct{ Expect string }
			Outputs []struct{ Expect string }
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	floats := func(h string) []float32 {
		raw, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		x, err := TensorFromBytes(Float32, []int{len(raw) / 4}, raw)
		if err != nil {
			t.Fatal(err)
		}
		return x.Float32s()
	}
	for _, c := range f.Cases {
		if c.ID != "flax_model/partitionable/reseed-docstring" {
			continue
		}
		want := fmt.Sprintf("params count: 2\nkernel: %v\ny: %v\nnot found: true\n",
			floats(c.Kernel.Expect), floats(c.Outputs[0].Expect))
		if output != want {
			t.Errorf("README output block:\n%s\nJAX/Flax:\n%s", output, want)
		}
		return
	}
	t.Fatal("oracle case flax_model/partitionable/reseed-docstring not found")
}

// The README's example, built as a program of its own against this module (a replace
// directive, no network) and run against the test daemon, prints the README's output block.
func TestReadmeExampleRuns(t *testing.T) {
	needDaemon(t)
	program, output := readmeBlocks(t)
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Fatalf("the go command is needed to build the README example: %v", err)
		}
	}
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module keyfoldexample\n\ngo 1.19\n\n" +
		"require github.com/keyfold/keyfold/proto/clients/go v0.0.0\n\n" +
		"replace github.com/keyfold/keyfold/proto/clients/go => " + here + "\n"
	for name, text := range map[string]string{"go.mod": gomod, "main.go": program} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(goBin, "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KEYFOLD_URL="+shared.url, "GOFLAGS=-mod=mod", "GOPROXY=off")
	out, err := cmd.CombinedOutput()
	t.Logf("README example output:\n%s", out)
	if err != nil {
		t.Fatalf("go run of the README example: %v", err)
	}
	if string(out) != output {
		t.Errorf("the README example printed\n%s\nthe README says\n%s", out, output)
	}
}
