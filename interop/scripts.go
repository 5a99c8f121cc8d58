package interop

import "embed"

// scripts holds the Perl test scripts, so that programs built from this
// module (interop/meshbench) find them wherever they run.
//
//go:embed testdata/*.pl
var scripts embed.FS

// Script returns the text of the Perl script testdata/<name>.
func Script(name string) (string, error) {
	b, err := scripts.ReadFile("testdata/" + name)
	return string(b), err
}
