package transcript

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fixtureSet is the folder under <module root>/fixtures that holds the
// captures of real Perl AnyEvent::MP 2.02 nodes.
const fixtureSet = "perl-aemp-2.02"

// Dir returns the absolute path of <module root>/fixtures/perl-aemp-2.02.
// The module root is found by walking up from the working directory (which
// `go test` sets to the package's folder) to the first go.mod, so tests in
// any package of the module can use it.
func Dir(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatalf("transcript: %v", err)
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			fix := filepath.Join(dir, "fixtures", fixtureSet)
			if _, err := os.Stat(fix); err != nil {
				tb.Fatalf("transcript: fixtures missing: %v", err)
			}
			return fix
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("transcript: no go.mod above %s", wd)
		}
		dir = parent
	}
}

// Load returns the connections recorded in
// fixtures/perl-aemp-2.02/<scenario>/capture.pcap, for a scenario such as
// "json", "cbor", "json-exercise", "cbor-exercise" or "pyclient". It calls
// tb.Fatal if the capture cannot be read.
func Load(tb testing.TB, scenario string) []*Conn {
	tb.Helper()
	conns, err := ReadPcap(filepath.Join(Dir(tb), scenario, "capture.pcap"))
	if err != nil {
		tb.Fatalf("transcript: %v", err)
	}
	return conns
}

// Secret returns the shared secret every node in the captures used: the
// "secret" value of config-after-gensecret.json. It calls tb.Fatal if the
// file cannot be read or has no secret.
func Secret(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(tb), "config-after-gensecret.json"))
	if err != nil {
		tb.Fatalf("transcript: %v", err)
	}
	var cfg struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		tb.Fatalf("transcript: config-after-gensecret.json: %v", err)
	}
	if cfg.Secret == "" {
		tb.Fatalf("transcript: config-after-gensecret.json has no secret")
	}
	return cfg.Secret
}
