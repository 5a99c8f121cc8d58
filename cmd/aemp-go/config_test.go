package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aemp-go/aemp-go/compat"
)

// The brief's example chain, word by word as aemp reads it.
func TestChainProfileExample(t *testing.T) {
	path := tempRC(t, "")
	mustAemp(t, "gensecret", "profile", "seed", "binds", "127.0.0.1:4040", "nodeid", "seed")
	m := readRC(t, path)
	secret, _ := m["secret"].(string)
	if !regexp.MustCompile(`^[0-9A-Za-z]{180}$`).MatchString(secret) {
		t.Errorf("secret %q is not 180 alphanumerics", secret)
	}
	// gensecret ran before "profile", so the secret is global.
	wantJSON(t, path, `{"version":1,"secret":"`+secret+`","profile":{"seed":{"binds":["127.0.0.1:4040"],"nodeid":"seed"}}}`)
	b, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(b), "}\n\n") || !strings.Contains(string(b), "\n   \"profile\" : {\n") {
		t.Errorf("not written in aemp's format:\n%s", b)
	}
}

func TestSetAndDelCommands(t *testing.T) {
	for _, tc := range []struct {
		name string
		args [][]string // one aemp-go run each
		want string
	}{
		{"setnodeid", [][]string{{"setnodeid", "a/%n/"}}, `{"version":1,"nodeid":"a/%n/"}`},
		{"nodeid alias", [][]string{{"nodeid", "x"}}, `{"version":1,"nodeid":"x"}`},
		{"delnodeid", [][]string{{"nodeid", "x", "secret", "s"}, {"delnodeid"}}, `{"version":1,"secret":"s"}`},
		{"setsecret", [][]string{{"setsecret", "abc"}}, `{"version":1,"secret":"abc"}`},
		{"secret alias", [][]string{{"secret", "abc"}}, `{"version":1,"secret":"abc"}`},
		{"delsecret", [][]string{{"secret", "abc"}, {"delsecret"}}, `{"version":1}`},
		{"delcert", [][]string{{"cert", "/dev/null"}, {"delcert"}}, `{"version":1}`},
		{"setseeds list", [][]string{{"setseeds", "a:1,b:2"}}, `{"version":1,"seeds":["a:1","b:2"]}`},
		{"seeds alias", [][]string{{"seeds", "a:1"}}, `{"version":1,"seeds":["a:1"]}`},
		{"seeds empty", [][]string{{"seeds", ""}}, `{"version":1,"seeds":[]}`},
		{"seeds perl split", [][]string{{"seeds", ",a,,b,,"}}, `{"version":1,"seeds":["","a","","b"]}`},
		{"seeds JSON", [][]string{{"seeds", `["x:1","srv:_aemp._tcp.example.org"]`}}, `{"version":1,"seeds":["x:1","srv:_aemp._tcp.example.org"]}`},
		{"addseed", [][]string{{"seeds", "a:1,b:2"}, {"addseed", "a:1", "addseed", "c:3"}}, `{"version":1,"seeds":["b:2","a:1","c:3"]}`},
		{"addseed to nothing", [][]string{{"addseed", "a:1"}}, `{"version":1,"seeds":["a:1"]}`},
		{"delseed", [][]string{{"seeds", "a:1,b:2,a:1"}, {"delseed", "a:1"}}, `{"version":1,"seeds":["b:2"]}`},
		{"delseeds", [][]string{{"seeds", "a:1"}, {"delseeds"}}, `{"version":1}`},
		{"setbinds", [][]string{{"setbinds", "*:4040,127.0.0.1:*"}}, `{"version":1,"binds":["*:4040","127.0.0.1:*"]}`},
		{"binds JSON", [][]string{{"binds", `["*:4040"]`}}, `{"version":1,"binds":["*:4040"]}`},
		{"addbind", [][]string{{"binds", "a:1"}, {"addbind", "b:2"}}, `{"version":1,"binds":["a:1","b:2"]}`},
		{"delbind", [][]string{{"binds", "a:1,b:2"}, {"delbind", "b:2"}}, `{"version":1,"binds":["a:1"]}`},
		{"delbinds", [][]string{{"binds", "a:1"}, {"delbinds"}}, `{"version":1}`},
		{"setservices", [][]string{{"setservices", "AnyEvent::MP::Global::,My::f"}}, `{"version":1,"services":["AnyEvent::MP::Global::","My::f"]}`},
		{"services JSON", [][]string{{"services", `[["mymod::myfun",1,2,3]]`}}, `{"version":1,"services":[["mymod::myfun",1,2,3]]}`},
		{"addservice", [][]string{{"addservice", "A::", "addservice", "A::", "addservice", `["B::f",1]`}}, `{"version":1,"services":["A::","A::",["B::f",1]]}`},
		{"delservice", [][]string{{"services", "A::,B::,A::"}, {"delservice", "A::"}}, `{"version":1,"services":["B::","A::"]}`},
		{"delservices", [][]string{{"services", "A::"}, {"delservices"}}, `{"version":1}`},
		{"seteval", [][]string{{"seteval", "warn 1"}}, `{"version":1,"eval":"warn 1"}`},
		{"deleval", [][]string{{"seteval", "1"}, {"deleval"}}, `{"version":1}`},
		{"setparent", [][]string{{"profile", "a", "setparent", "b"}}, `{"version":1,"profile":{"a":{"parent":"b"}}}`},
		{"parent alias", [][]string{{"profile", "a", "parent", "b"}}, `{"version":1,"profile":{"a":{"parent":"b"}}}`},
		{"delparent", [][]string{{"profile", "a", "parent", "b"}, {"profile", "a", "delparent"}}, `{"version":1,"profile":{"a":{}}}`},
		{"profile creates", [][]string{{"profile", "empty"}}, `{"version":1,"profile":{"empty":{}}}`},
		{"delprofile", [][]string{{"profile", "a", "nodeid", "x", "profile", "b"}, {"delprofile", "a"}}, `{"version":1,"profile":{"b":{}}}`},
		{"two profiles", [][]string{{"profile", "a", "nodeid", "x", "profile", "b", "nodeid", "y"}}, `{"version":1,"profile":{"a":{"nodeid":"x"},"b":{"nodeid":"y"}}}`},
		// aemp stores command-line words as strings, JSON as JSON.
		{"monitor_timeout", [][]string{{"setmonitor_timeout", "10", "connect_interval", "0.5"}}, `{"version":1,"monitor_timeout":"10","connect_interval":"0.5"}`},
		{"framing_format JSON", [][]string{{"framing_format", `["json"]`}}, `{"version":1,"framing_format":["json"]}`},
		{"auth lists", [][]string{{"auth_offer", `["hmac_sha3_512"]`, "setauth_accept", `["hmac_sha3_512","cleartext"]`}}, `{"version":1,"auth_offer":["hmac_sha3_512"],"auth_accept":["hmac_sha3_512","cleartext"]}`},
		{"booleans", [][]string{{"secure", "1", "autocork", "0", "setnodelay", "true"}}, `{"version":1,"secure":"1","autocork":"0","nodelay":"true"}`},
		{"low-level dels", [][]string{
			{"monitor_timeout", "1", "connect_interval", "1", "framing_format", `["json"]`, "auth_offer", `[]`, "auth_accept", `[]`, "autocork", "1", "nodelay", "1", "secure", "1"},
			{"delmonitor_timeout", "delconnect_interval", "delframing_format", "delauth_offer", "delauth_accept", "delautocork", "delnodelay", "delsecure"}},
			`{"version":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tempRC(t, "")
			for _, args := range tc.args {
				mustAemp(t, args...)
			}
			wantJSON(t, path, tc.want)
		})
	}
}

func TestCertCommands(t *testing.T) {
	path := tempRC(t, "")
	mustAemp(t, "gencert")
	cert, _ := readRC(t, path)["cert"].(string)
	if _, _, err := compat.LoadCert(cert); err != nil {
		t.Fatalf("gencert stored an unusable cert: %v", err)
	}
	pemFile := path + ".pem"
	if err := os.WriteFile(pemFile, []byte(cert), 0o600); err != nil {
		t.Fatal(err)
	}
	mustAemp(t, "delcert", "profile", "p", "setcert", pemFile)
	wantJSON(t, path, `{"version":1,"profile":{"p":{"cert":`+jsonText(cert)+`}}}`)
	r := aemp(t, "setcert", path+".missing")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("setcert of a missing file: %+v", r)
	}
}

// aemp's argument rules: one argument starting with "[" replaces the
// command line; otherwise each argument starting with [ { or " is JSON.
func TestJSONArgumentRules(t *testing.T) {
	path := tempRC(t, "")
	mustAemp(t, `["setsecret","[not json",  "profile","p","monitor_timeout",10]`)
	wantJSON(t, path, `{"version":1,"secret":"[not json","profile":{"p":{"monitor_timeout":10}}}`)

	path = tempRC(t, "")
	mustAemp(t, "secret", `"--quoted"`, "nodeid", `{"odd":[1,2.5]}`, "secure", "true")
	wantJSON(t, path, `{"version":1,"secret":"--quoted","nodeid":{"odd":[1,2.5]},"secure":"true"}`)

	path = tempRC(t, "")
	for _, bad := range [][]string{{"secret", `"unterminated`}, {`[1,`}, {"binds", `["a"] x`}, {`[`}} {
		r := aemp(t, bad...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "JSON") {
			t.Errorf("%q: exit %d stderr %q, want a JSON usage error", bad, r.code, r.stderr)
		}
	}
	r := aemp(t, `{"a":1}`)
	if r.code != exitUsage {
		t.Errorf("a JSON object as command: exit %d", r.code)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("failed commands created the rc file")
	}
}

func TestFramingFormatStringWarns(t *testing.T) {
	path := tempRC(t, "")
	r := mustAemp(t, "framing_format", "json")
	contains(t, "stderr", r.stderr, "should be a JSON array")
	wantJSON(t, path, `{"version":1,"framing_format":"json"}`)
}

func TestBrokenRCIsNeverWritten(t *testing.T) {
	const broken = "{ \"secret\" : \"x\", oops }\n"
	path := tempRC(t, broken)
	for _, args := range [][]string{{"gensecret"}, {"profile", "x"}, {"showconfig"}, {"cal", "n", "time"}, {"run"}} {
		r := aemp(t, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "leaving it untouched") {
			t.Errorf("%q: exit %d stderr %q", args, r.code, r.stderr)
		}
	}
	b, _ := os.ReadFile(path)
	if string(b) != broken {
		t.Errorf("broken rc file changed to %q", b)
	}
	if _, err := os.Stat(path + "~"); !os.IsNotExist(err) {
		t.Error("a backup was made, so something was written")
	}
}

// aemp saves in an END block, so the commands before a failing one are
// kept; aemp-go does the same.
func TestFailingChainKeepsEarlierChanges(t *testing.T) {
	path := tempRC(t, "")
	r := aemp(t, "secret", "s", "nosuchcommand", "nodeid", "n")
	if r.code != exitUsage || !strings.Contains(r.stderr, "nosuchcommand: no such aemp-go command") {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
	wantJSON(t, path, `{"version":1,"secret":"s"}`)
	r = aemp(t, "secret", "t", "run")
	if r.code != exitUsage || !strings.Contains(r.stderr, "run: must be the first word") {
		t.Errorf("run in a chain: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestMissingArguments(t *testing.T) {
	tempRC(t, "")
	for cmd, msg := range map[string]string{
		"setnodeid": "node id missing", "setsecret": "shared secret missing", "setcert": "filename missing",
		"setseeds": "seed addresses missing", "addseed": "seed address missing", "delseed": "seed address missing",
		"setbinds": "bind addresses missing", "addbind": "bind address missing", "delbind": "bind address missing",
		"setservices": "service specifications missing", "addservice": "service specification missing",
		"delservice": "service specification missing", "seteval": "eval string missing",
		"profile": "profile name is missing", "delprofile": "profile name is missing", "setparent": "profile name is missing",
		"showprofile": "profile name is missing", "setsecure": "secure value is missing",
		"setmonitor_timeout": "monitor_timeout value is missing", "snd": "port missing", "cal": "port missing",
		"mon": "port missing", "eval": "node id missing", "trace": "node id missing", "restart": "node id missing",
	} {
		r := aemp(t, cmd)
		if r.code != exitUsage || !strings.Contains(r.stderr, msg) {
			t.Errorf("%s: exit %d stderr %q, want %q", cmd, r.code, r.stderr, msg)
		}
	}
}

func TestShowProfile(t *testing.T) {
	tempRC(t, "")
	mustAemp(t, "profile", "p", "nodeid", "n", "binds", "a:1")
	r := mustAemp(t, "showprofile", "p")
	want := "{\n   \"binds\" : [\n      \"a:1\"\n   ],\n   \"nodeid\" : \"n\"\n}\n"
	if r.stdout != want {
		t.Errorf("showprofile printed\n%q\nwant\n%q", r.stdout, want)
	}
	if r := mustAemp(t, "showprofile", "nosuch"); r.stdout != "{}\n" {
		t.Errorf("missing profile: %q", r.stdout)
	}
}

func TestShowConfig(t *testing.T) {
	tempRC(t, `{"version":1,"secret":"g","seeds":["s:1"],"profile":{"base":{"binds":["b:1"]},"p":{"parent":"base","nodeid":"n"}}}`)
	r := mustAemp(t, "showconfig", "p", "monitor_timeout", "7", "nodeid", "ignored")
	for _, want := range []string{
		`"binds" : [`, `"b:1"`, `"nodeid" : "n"`, `"secret" : "g"`, `"monitor_timeout" : "7"`,
		`"connect_interval" : 2`, `"storable"`, `"version" : 1`,
	} {
		contains(t, "showconfig", r.stdout, want)
	}
	for _, gone := range []string{`"parent"`, `"profile"`, "ignored"} {
		if strings.Contains(r.stdout, gone) {
			t.Errorf("showconfig shows %s:\n%s", gone, r.stdout)
		}
	}
	// No arguments: the host name's profile, which does not exist here.
	r = mustAemp(t, "showconfig")
	contains(t, "showconfig", r.stdout, `"seeds" : [`)
	if strings.Contains(r.stdout, `"nodeid"`) {
		t.Error("showconfig without a name used a profile")
	}
}

// setXXX has the alias XXX unless XXX is a command already.
func TestAliases(t *testing.T) {
	for alias, cmd := range map[string]string{
		"nodeid": "setnodeid", "secret": "setsecret", "cert": "setcert", "seeds": "setseeds", "binds": "setbinds",
		"services": "setservices", "parent": "setparent", "monitor_timeout": "setmonitor_timeout",
		"connect_interval": "setconnect_interval", "framing_format": "setframing_format", "auth_offer": "setauth_offer",
		"auth_accept": "setauth_accept", "autocork": "setautocork", "nodelay": "setnodelay", "secure": "setsecure",
	} {
		if c := lookupCommand(alias); c == nil || c.name != cmd {
			t.Errorf("alias %s does not name %s", alias, cmd)
		}
	}
	if c := lookupCommand("eval"); c == nil || c.name != "eval" {
		t.Error(`"eval" must stay the protocol command, not seteval`)
	}
}
