package compat

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

const fixtureSecret = "xaVa0ojOGkQmNt2oTs8Dzr9GoqdmqHNzqpDVuHk1fyOo58bKh8G8x7EDP11YfL0Xb3tcuLebRgCzkqJAiStAqw59mD1MvRq57i4523xTJmyp4V0Ooi7rl017TfuBPaIso3K8DXNAxpMGmoI9rDikf2VtgRNpsIToRBuE0PZNl5rvsyoCIvrL"

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeStrict decodes with the standard library only, as an independent
// reference for structural comparisons.
func decodeStrict(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("reference decode: %v", err)
	}
	return v
}

// lineBag is the text modulo key order: the sorted lines, each without the
// comma that separates it from the next element (which key order moves).
func lineBag(b []byte) []string {
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, ",")
	}
	sort.Strings(lines)
	return lines
}

func TestFixtureRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		file      string
		byteExact bool // the Perl file happens to have its keys in sorted order
	}{
		{"config-after-gensecret.json", true},
		{"config-final-cbor-default.json", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			perl := readFixture(t, tc.file)
			rc, err := ParseRC(perl)
			if err != nil {
				t.Fatal(err)
			}
			got, err := rc.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if tc.byteExact && !bytes.Equal(got, perl) {
				t.Errorf("re-encoding differs:\n got %q\nwant %q", got, perl)
			}
			if !reflect.DeepEqual(decodeStrict(t, got), decodeStrict(t, perl)) {
				t.Errorf("structure differs:\n got %s\nwant %s", got, perl)
			}
			if g, w := lineBag(got), lineBag(perl); !reflect.DeepEqual(g, w) {
				t.Errorf("text differs modulo key order:\n got %q\nwant %q", g, w)
			}
			if !bytes.HasSuffix(got, []byte("}\n\n")) || !bytes.HasSuffix(perl, []byte("}\n\n")) {
				t.Errorf("file must end in }\\n\\n like Config.pm writes it: got %q", got[len(got)-4:])
			}
			if s, _ := rc.Global().Secret(); s != fixtureSecret {
				t.Errorf("secret = %q", s)
			}
		})
	}
}

func TestMarshalLayout(t *testing.T) {
	rc := NewRC()
	g := rc.Global()
	must(t, g.SetSeeds("127.0.0.1:4040"))
	must(t, g.SetBinds())
	must(t, g.Set("empty", map[string]any{}))
	must(t, rc.Profile("seed").SetNodeID("seed"))
	must(t, rc.Profile("seed").SetMonitorTimeout(2.5))
	got, err := rc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
   "binds" : [],
   "empty" : {},
   "profile" : {
      "seed" : {
         "monitor_timeout" : 2.5,
         "nodeid" : "seed"
      }
   },
   "seeds" : [
      "127.0.0.1:4040"
   ],
   "version" : 1
}

`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMissingFileIsVersion1(t *testing.T) {
	rc, err := LoadRC(filepath.Join(t.TempDir(), "nope"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := rc.Marshal()
	if want := "{\n   \"version\" : 1\n}\n\n"; string(got) != want {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestRCPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]*string // nil value: unset
		want string
	}{
		{"rc wins", map[string]*string{"PERL_ANYEVENT_MP_RC": ptr("/x/rc"), "HOME": ptr("/home/u")}, "/x/rc"},
		{"empty rc still wins (exists)", map[string]*string{"PERL_ANYEVENT_MP_RC": ptr(""), "HOME": ptr("/home/u")}, ""},
		{"home", map[string]*string{"PERL_ANYEVENT_MP_RC": nil, "HOME": ptr("/home/u")}, "/home/u/.perl-anyevent-mp"},
		{"appdata has no dot", map[string]*string{"PERL_ANYEVENT_MP_RC": nil, "HOME": nil, "APPDATA": ptr(`C:\AD`)}, `C:\AD/perl-anyevent-mp`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				setenv(t, k, v)
			}
			if got := RCPath(); got != tc.want {
				t.Errorf("RCPath() = %q, want %q", got, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// setenv sets or unsets an environment variable for the test.
func setenv(t *testing.T, k string, v *string) {
	old, had := os.LookupEnv(k)
	t.Cleanup(func() {
		if had {
			os.Setenv(k, old)
		} else {
			os.Unsetenv(k)
		}
	})
	if v == nil {
		os.Unsetenv(k)
	} else {
		os.Setenv(k, *v)
	}
}

func TestSaveBackupAndReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".perl-anyevent-mp")
	old := readFixture(t, "config-final-cbor-default.json")
	if err := os.WriteFile(path, old, 0o640); err != nil {
		t.Fatal(err)
	}
	oldInfo, _ := os.Stat(path)

	rc, err := LoadRC(path)
	if err != nil {
		t.Fatal(err)
	}
	must(t, rc.Profile("seed").SetSecret("new-secret"))
	if err := rc.Save(path); err != nil {
		t.Fatal(err)
	}

	// "<path>~" is a hard link to the previous file, as Config.pm's link().
	bakInfo, err := os.Stat(path + "~")
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(oldInfo, bakInfo) {
		t.Error("backup is not the old inode (Perl hard-links it)")
	}
	if bak, _ := os.ReadFile(path + "~"); !bytes.Equal(bak, old) {
		t.Error("backup content changed")
	}
	newInfo, _ := os.Stat(path)
	if os.SameFile(oldInfo, newInfo) {
		t.Error("file was rewritten in place, not replaced by rename")
	}
	if newInfo.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0640 narrowed to 0600 (the file holds secrets)", newInfo.Mode().Perm())
	}
	re, err := LoadRC(path)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := re.Profile("seed").Secret(); s != "new-secret" {
		t.Errorf("profile secret = %q", s)
	}
	if s, _ := re.Global().Secret(); s != fixtureSecret {
		t.Errorf("global secret = %q", s)
	}

	// A second save replaces the backup with the previous version.
	mid, _ := os.ReadFile(path)
	must(t, re.Global().SetSecure(true))
	if err := re.Save(path); err != nil {
		t.Fatal(err)
	}
	if bak, _ := os.ReadFile(path + "~"); !bytes.Equal(bak, mid) {
		t.Error("second save did not back up the intermediate version")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("leftover files: %v", names)
	}
}

func TestSaveNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rc")
	rc := NewRC()
	must(t, rc.Global().SetSecret(GenSecret()))
	if err := rc.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600 for a file holding a secret", fi.Mode().Perm())
	}
	if _, err := os.Stat(path + "~"); err == nil {
		t.Error("backup of a file that did not exist")
	}
}

func TestUnknownKeysSurvive(t *testing.T) {
	in := `{
   "version" : 1,
   "future_top" : {"nested" : [1, 2.5, null, true, {"x" : "y"}]},
   "secret" : "s",
   "profile" : {
      "p" : { "nodeid" : "p", "x_custom" : "kept", "binds" : ["a:1"] },
      "q" : { "only_unknown" : 7 }
   },
   "version2" : "another"
}`
	path := filepath.Join(t.TempDir(), "rc")
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	rc, err := LoadRC(path)
	if err != nil {
		t.Fatal(err)
	}
	p := rc.Profile("p")
	must(t, p.AddBind("b:2"))
	must(t, p.SetNodeID("p2"))
	must(t, rc.Global().SetSecret("t"))
	if err := rc.Save(path); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(path)
	got := decodeStrict(t, out).(map[string]any)
	want := decodeStrict(t, []byte(in)).(map[string]any)
	want["secret"] = "t"
	wp := want["profile"].(map[string]any)["p"].(map[string]any)
	wp["nodeid"] = "p2"
	wp["binds"] = []any{"a:1", "b:2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after round trip:\n got %v\nwant %v", got, want)
	}
}

func TestBrokenFileReportedAndKept(t *testing.T) {
	for _, tc := range []struct{ name, content string }{
		{"garbage", "this is not json"},
		{"truncated", "{\n   \"secret\" : \"abc\",\n"},
		{"empty", ""},
		{"top-level array", `["secret"]`},
		{"top-level string", `"x"`},
		{"trailing garbage", `{"version":1} x`},
		{"two documents", `{"version":1}{"version":1}`},
		{"lone comma object", `{,}`},
		{"double trailing comma", `{"a":[1,,]}`},
		{"bad utf8", "{\"secret\":\"\xff\"}"},
		{"raw newline in string", "{\"secret\":\"a\nb\"}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "rc")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			rc, err := LoadRC(path)
			if err == nil {
				t.Fatalf("LoadRC accepted %q: %v", tc.content, rc.Doc())
			}
			if !errors.Is(err, ErrBrokenRC) {
				t.Errorf("error %v does not match ErrBrokenRC", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			// Even a caller that starts from scratch cannot clobber it.
			err = NewRC().Save(path)
			if !errors.Is(err, ErrBrokenRC) {
				t.Errorf("Save over a broken file: err = %v, want ErrBrokenRC", err)
			}
			if b, _ := os.ReadFile(path); string(b) != tc.content {
				t.Errorf("broken file was modified: %q", b)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("Save left %d files", len(entries))
			}
		})
	}
}

func TestRelaxedDecoding(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     any
	}{
		{"trailing comma array", `[1,2, 4 , ]`, []any{json.Number("1"), json.Number("2"), json.Number("4")}},
		{"trailing comma object", `{"1":2,}`, map[string]any{"1": json.Number("2")}},
		{"comments", "[1#,2\n ,2,# ] \n\t]", []any{json.Number("1"), json.Number("2")}},
		{"comment after value at EOF", `{"a":"#not a comment"} # trailing`, map[string]any{"a": "#not a comment"}},
		{"CR ends comment", "[1 # c\r,2]", []any{json.Number("1"), json.Number("2")}},
		{"literal tab in string", "[\"a\tb\"]", []any{"a\tb"}},
		{"escaped quote before comma", `["a\"",]`, []any{`a"`}},
		{"nested trailing commas", `{"a":[{"b":1,},],}`, map[string]any{"a": []any{map[string]any{"b": json.Number("1")}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeRelaxed([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v want %#v", got, tc.want)
			}
		})
	}
	for _, bad := range []string{`[1,2, 3,4,,]`, `[,1]`, `{,}`, `[1,]x`, `{"a":,}`, `[1],`} {
		if v, err := decodeRelaxed([]byte(bad)); err == nil {
			t.Errorf("%q accepted as %#v (JSON::XS rejects it)", bad, v)
		}
	}
}

func TestErrorPosition(t *testing.T) {
	_, err := ParseRC([]byte("{\n   \"a\" : \"\t\",\n   \"b\" : x\n}"))
	if err == nil || !strings.Contains(err.Error(), "line 3, column 10") {
		t.Errorf("err = %v, want it to point at line 3, column 10", err)
	}
}

func TestEncodeLikeJSONXS(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"plain", `"plain"`},
		{"q\"b\\s/", `"q\"b\\s/"`},
		{"\b\t\n\f\r", `"\b\t\n\f\r"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f\""},
		{"äöü € \u2028 😀", "\"äöü € \u2028 😀\""},
		{"</script>&", `"</script>&"`},
		{json.Number("1"), "1"},
		{json.Number("-0"), "0"},
		{json.Number("1.0"), "1"},
		{json.Number("2.50"), "2.5"},
		{json.Number("1e3"), "1000"},
		{json.Number("1.5E+2"), "150"},
		{json.Number("0.1"), "0.1"},
		{json.Number("1e-5"), "1e-05"},
		{json.Number("1e21"), "1e+21"},
		{json.Number("123456789012345678901234"), "123456789012345678901234"},
		{0.30000000000000004, "0.3"},
		{true, "true"},
		{nil, "null"},
		{[]any{}, "[]"},
		{map[string]any{}, "{}"},
	} {
		got, err := encodePretty(tc.in)
		if err != nil {
			t.Errorf("%#v: %v", tc.in, err)
			continue
		}
		if string(got) != tc.want+"\n" {
			t.Errorf("%#v: got %q want %q", tc.in, got, tc.want+"\n")
		}
	}
	if _, err := encodePretty("\xff"); err == nil {
		t.Error("invalid UTF-8 encoded")
	}
}

func TestSectionPerlValues(t *testing.T) {
	// What `aemp` writes: every command-line value is a string.
	rc, err := ParseRC([]byte(`{
   "monitor_timeout" : "10",
   "connect_interval" : "0.5s",
   "secure" : "0",
   "autocork" : "1",
   "nodelay" : false,
   "secret" : 12345,
   "binds" : ["*:4040", 4041],
   "services" : ["AnyEvent::MP::Global::", ["mymod::myfun", 1, "two"], "mymod::init"],
   "profile" : { "p" : { "secure" : "0.0", "monitor_timeout" : 1.5e1 } }
}`))
	if err != nil {
		t.Fatal(err)
	}
	g := rc.Global()
	if v, ok := g.MonitorTimeout(); !ok || v != 10 {
		t.Errorf("monitor_timeout = %v %v", v, ok)
	}
	if v, ok := g.ConnectInterval(); !ok || v != 0.5 {
		t.Errorf("connect_interval = %v %v", v, ok)
	}
	if v, ok := g.Secure(); !ok || v {
		t.Errorf(`secure "0" = %v %v, want false`, v, ok)
	}
	if v, _ := g.Autocork(); !v {
		t.Error(`autocork "1" is true`)
	}
	if v, ok := g.Nodelay(); !ok || v {
		t.Errorf("nodelay false = %v %v", v, ok)
	}
	if v, _ := g.Secret(); v != "12345" {
		t.Errorf("secret = %q", v)
	}
	if v, _ := g.Binds(); !reflect.DeepEqual(v, []string{"*:4040", "4041"}) {
		t.Errorf("binds = %q", v)
	}
	svcs, ok := g.Services()
	want := []Service{
		{Name: "AnyEvent::MP::Global::"},
		{Name: "mymod::myfun", Args: []any{json.Number("1"), "two"}, List: true},
		{Name: "mymod::init"},
	}
	if !ok || !reflect.DeepEqual(svcs, want) {
		t.Errorf("services = %#v", svcs)
	}
	if !svcs[0].IsModule() || svcs[0].Module() != "AnyEvent::MP::Global" || svcs[1].IsModule() || svcs[2].IsModule() {
		t.Error("IsModule wrong")
	}
	p := rc.Profile("p")
	if v, _ := p.Secure(); !v {
		t.Error(`secure "0.0" is true in Perl (a non-empty string other than "0")`)
	}
	if v, _ := p.MonitorTimeout(); v != 15 {
		t.Errorf("1.5e1 = %v", v)
	}
	if _, ok := p.Seeds(); ok {
		t.Error("unset seeds reported as set")
	}
}

func TestProfiles(t *testing.T) {
	rc := NewRC()
	p := rc.Profile("new")
	if p.Exists() || rc.HasProfile("new") {
		t.Fatal("profile exists before anything was set")
	}
	if _, ok := p.Secret(); ok {
		t.Fatal("secret in a missing profile")
	}
	if p.Delete(KeySecret) {
		t.Error("deleted from a missing profile")
	}
	must(t, p.SetSecret("x"))
	must(t, rc.Profile("a").Create())
	if got := rc.ProfileNames(); !reflect.DeepEqual(got, []string{"a", "new"}) {
		t.Errorf("names = %v", got)
	}
	if !p.Delete(KeySecret) || len(p.Keys()) != 0 || !p.Exists() {
		t.Error("delsecret should leave an empty profile")
	}
	if !rc.DeleteProfile("new") || rc.DeleteProfile("new") || rc.HasProfile("new") {
		t.Error("DeleteProfile")
	}
	if _, ok := rc.Doc()["profile"].(map[string]any); !ok {
		t.Error(`"profile" object removed`)
	}

	// A profile entry that is not an object is not silently replaced.
	bad, err := ParseRC([]byte(`{"profile":{"s":"str"},"version":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Profile("s").SetSecret("x"); err == nil {
		t.Error("replaced a string profile")
	}
}

func TestListEditing(t *testing.T) {
	rc := NewRC()
	g := rc.Global()
	for _, step := range []struct {
		op   func() error
		want []string
	}{
		{func() error { return g.AddBind("a:1") }, []string{"a:1"}},
		{func() error { return g.AddBind("b:2") }, []string{"a:1", "b:2"}},
		{func() error { return g.AddBind("a:1") }, []string{"b:2", "a:1"}}, // moved to the end
		{func() error { return g.DelBind("b:2") }, []string{"a:1"}},
		{func() error { return g.DelBind("zz") }, []string{"a:1"}},
	} {
		must(t, step.op())
		if got, _ := g.Binds(); !reflect.DeepEqual(got, step.want) {
			t.Fatalf("binds = %v want %v", got, step.want)
		}
	}
	must(t, g.AddService(Service{Name: "x::"}))
	must(t, g.AddService(Service{Name: "x::"}))
	must(t, g.AddService(Service{Name: "f", Args: []any{1}, List: true}))
	must(t, g.DelService("x::"))
	got, _ := g.Services()
	if want := []Service{{Name: "x::"}, {Name: "f", Args: []any{json.Number("1")}, List: true}}; !reflect.DeepEqual(got, want) {
		t.Errorf("services = %#v", got)
	}
	must(t, g.Set(KeySeeds, "a string"))
	if err := g.AddSeed("x:1"); err == nil {
		t.Error("AddSeed replaced a string value")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSaveNarrowsModeOfFileWithSecrets: an rc file that is readable by
// everyone keeps its mode until a secret or key is in it; from then on every
// save makes it 0600 and SavePerm reports the change.
func TestSaveNarrowsModeOfFileWithSecrets(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(rc *RC) error
	}{
		{"global secret", func(rc *RC) error { return rc.Global().SetSecret("s3cret-s3cret-s3cret") }},
		{"profile secret", func(rc *RC) error { return rc.Profile("seed").SetSecret("s3cret-s3cret-s3cret") }},
		{"profile cert", func(rc *RC) error { return rc.Profile("seed").Set(KeyCert, "-----BEGIN PRIVATE KEY-----") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rc")
			if err := os.WriteFile(path, []byte(`{"version":1,"seeds":["127.0.0.1:4040"]}`), 0o644); err != nil {
				t.Fatal(err)
			}
			rc, err := LoadRC(path)
			must(t, err)
			must(t, rc.Global().Set(KeyBinds, []string{"127.0.0.1:0"}))
			before, after, err := rc.SavePerm(path)
			must(t, err)
			if before != 0o644 || after != 0o644 {
				t.Fatalf("without secrets: %v -> %v, want 0644 kept", before, after)
			}

			must(t, c.set(rc))
			before, after, err = rc.SavePerm(path)
			must(t, err)
			fi, err := os.Stat(path)
			must(t, err)
			if before != 0o644 || after != 0o600 || fi.Mode().Perm() != 0o600 {
				t.Errorf("with secrets: %v -> %v, file %v; want 0644 -> 0600", before, after, fi.Mode().Perm())
			}
		})
	}
}
