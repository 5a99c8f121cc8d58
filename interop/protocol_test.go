package interop

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
	"github.com/aemp-go/aemp-go/protocol"
)

// framingCase is one framing negotiation: what each side offers and what
// each direction must then use. Each side sends the first framing of the
// *peer's* list that it supports.
type framingCase struct {
	name     string
	perl     []string // Perl's framing_format (nil: its default cbor,json,storable)
	goList   []string // HandshakeConfig.Framings
	goSends  string
	perlSend string
}

var framingCases = []framingCase{
	{"JSON", []string{"json"}, []string{"json"}, "json", "json"},
	{"CBOR", []string{"cbor"}, []string{"cbor"}, "cbor", "cbor"},
	// mixed: each side sends its own framing
	{"MixedPerlJSONFirst", []string{"json", "cbor"}, []string{"cbor", "json"}, "json", "cbor"},
	{"MixedPerlDefault", nil, []string{"json", "cbor"}, "cbor", "json"},
}

// checkSession asserts what a completed handshake with a Perl 2.02 node
// must look like.
func checkSession(t *testing.T, s *protocol.Session, perl *Proc, fc framingCase, tlsUp bool) {
	t.Helper()
	r := s.Remote
	if r.NodeID != perl.NodeID {
		t.Errorf("peer node ID %q, want %q", r.NodeID, perl.NodeID)
	}
	wantList := fc.perl
	if wantList == nil {
		wantList = compat.DefaultFramingFormat() // live check of the documented default
	}
	if !eqStrings(r.Framings, wantList) {
		t.Errorf("Perl's greeting lists framings %v, want %v", r.Framings, wantList)
	}
	if !eqStrings(r.Auths, protocol.DefaultAuthAccept()) {
		t.Errorf("Perl's greeting lists auth methods %v, want %v", r.Auths, protocol.DefaultAuthAccept())
	}
	for k, want := range map[string]string{"provider": "AE-2.02", "mproto": "1", "gproto": "1"} {
		if v, _ := r.Get(k); v != want {
			t.Errorf("Perl's greeting %s=%q, want %q (greeting %s)", k, v, want, r)
		}
	}
	if v, ok := r.Get(protocol.KeyTLS); tlsUp != ok || (ok && v != "1.0") {
		t.Errorf("Perl's greeting tls=%q (present %v), want present=%v", v, ok, tlsUp)
	}
	if s.SendFraming != fc.goSends || s.LocalAuth.Framing != fc.goSends {
		t.Errorf("Go sends %q (auth line %q), want %q", s.SendFraming, s.LocalAuth.Framing, fc.goSends)
	}
	if s.RecvFraming != fc.perlSend || s.RemoteAuth.Framing != fc.perlSend {
		t.Errorf("Perl sends %q (auth line %q), want %q", s.RecvFraming, s.RemoteAuth.Framing, fc.perlSend)
	}
	wantAuth := protocol.AuthHMAC
	if tlsUp {
		wantAuth = protocol.AuthTLSSHA3
	}
	if s.LocalAuth.Method != wantAuth || s.RemoteAuth.Method != wantAuth {
		t.Errorf("auth methods: Go %q, Perl %q; want %q both", s.LocalAuth.Method, s.RemoteAuth.Method, wantAuth)
	}
	if s.TLS != tlsUp {
		t.Errorf("Session.TLS = %v, want %v", s.TLS, tlsUp)
	}
	if _, isTLS := s.Conn.(*tls.Conn); isTLS != tlsUp {
		t.Errorf("Session.Conn is %T, TLS wanted: %v", s.Conn, tlsUp)
	}
}

// exchange proves the data phase works both ways: Go asks Perl's node
// port for the time with a reply port of its own ("" is the node port);
// Perl's reply is a message to that Go port. It returns what Perl sent
// before the reply.
func exchange(t *testing.T, p *rawPeer, goNodeID string, perlSends string) []protocol.Message {
	t.Helper()
	reply := "r" + fmt.Sprint(time.Now().UnixNano()%1e6)
	p.send(t, protocol.Message{Port: "", Data: []any{"time", goNodeID + "#" + reply}})
	m, before := p.recvUntil(t, "Perl's time reply", func(m protocol.Message) bool { return m.Port == reply })
	checkTime(t, "Perl", m.Data)
	p.first.mu.Lock()
	got := firstByteFraming(p.first.b)
	p.first.mu.Unlock()
	if got != perlSends {
		t.Errorf("Perl's first data byte is %s framing, want %s", got, perlSends)
	}
	return before
}

// TestHandshakeGoDialsPerl: protocol.Handshake on a connection to a Perl
// node (`aemp run`), for JSON, CBOR and mixed framings.
func TestHandshakeGoDialsPerl(t *testing.T) {
	RequireAemp(t)
	for _, fc := range framingCases {
		t.Run(fc.name, func(t *testing.T) {
			t.Parallel()
			perl := StartAempRun(t, Spec{NodeID: "perl_hs_" + strings.ToLower(fc.name), Secret: testSecret, Framings: fc.perl}, nil)
			ctx := timeout(t, 10*time.Second)
			conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", perl.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			s, err := protocol.Handshake(ctx, conn, goHandshakeConfig("go_dialer", fc.goList, perl.Addr))
			if err != nil {
				t.Fatalf("handshake with Perl: %v", err)
			}
			checkSession(t, s, perl, fc, false)
			// an acceptor writes the connector's address as peeraddr
			if pa, _ := s.Remote.Get(protocol.KeyPeerAddr); pa != conn.LocalAddr().String() {
				t.Errorf("Perl's peeraddr=%q, want our address %s", pa, conn.LocalAddr())
			}
			exchange(t, newRawPeer(t, s), "go_dialer", fc.perlSend)
		})
	}
}

// TestHandshakePerlDialsGo: a Perl node (`aemp run`) whose seed is a Go
// listener connects; Go runs protocol.Handshake on the accepted
// connection.
func TestHandshakePerlDialsGo(t *testing.T) {
	RequireAemp(t)
	for _, fc := range framingCases {
		t.Run(fc.name, func(t *testing.T) {
			t.Parallel()
			l := listen(t)
			perl := StartAempRun(t, Spec{NodeID: "perl_hsd_" + strings.ToLower(fc.name), Secret: testSecret,
				Framings: fc.perl, Seeds: []string{l.Addr().String()}}, nil)
			conn := acceptOne(t, l, 10*time.Second)
			ctx := timeout(t, 10*time.Second)
			s, err := protocol.Handshake(ctx, conn, goHandshakeConfig("go_seed", fc.goList, conn.RemoteAddr().String()))
			if err != nil {
				t.Fatalf("handshake with Perl: %v", err)
			}
			checkSession(t, s, perl, fc, false)
			// a connector writes the address it dialled as peeraddr
			if pa, _ := s.Remote.Get(protocol.KeyPeerAddr); pa != l.Addr().String() {
				t.Errorf("Perl's peeraddr=%q, want the seed address %s", pa, l.Addr())
			}
			before := exchange(t, newRawPeer(t, s), "go_seed", fc.perlSend)
			// Perl dialled us as its seed: it asks us to be global first
			if len(before) == 0 || before[0].Port != "" || len(before[0].Data) == 0 || before[0].Data[0] != "g_slave" {
				t.Errorf("Perl's first message to its seed is %v, want [\"\",\"g_slave\",...]", before)
			}
		})
	}
}

// gencert runs `aemp gencert` in a scratch home and returns the PEM Perl
// stored in the rc file.
func gencert(t *testing.T) string {
	t.Helper()
	h := PrepareHome(t, &Spec{NodeID: "certgen", Secret: testSecret})
	if _, err := h.Aemp(timeout(t, 30*time.Second), t, "gencert"); err != nil {
		t.Fatal(err)
	}
	cert, _ := h.ReadRC(t)["cert"].(string)
	if !strings.Contains(cert, "PRIVATE KEY") || !strings.Contains(cert, "BEGIN CERTIFICATE") {
		t.Fatalf("aemp gencert left no key and certificate in the rc file: %q", cert)
	}
	return cert
}

// TestTLS: with a shared `aemp gencert` certificate the connection is
// upgraded to TLS and both sides authenticate with tls_sha3_512, whoever
// dials.
func TestTLS(t *testing.T) {
	RequireAemp(t)
	RequirePerlTLS(t)
	pem := gencert(t)
	creds, err := protocol.ParseTLSCredentials([]byte(pem))
	if err != nil {
		t.Fatalf("ParseTLSCredentials on Perl's cert: %v", err)
	}
	fc := framingCase{perl: nil, goList: nil, goSends: "cbor", perlSend: "cbor"}

	// handshake does the TLS handshake as goNodeID on conn to perl (at
	// addr), checks the session and TLS state and exchanges messages.
	handshake := func(t *testing.T, ctx context.Context, conn net.Conn, perl *Proc, goNodeID, addr string) {
		t.Helper()
		hc := goHandshakeConfig(goNodeID, nil, addr)
		hc.TLS = creds
		s, err := protocol.Handshake(ctx, conn, hc)
		if err != nil {
			t.Fatalf("TLS handshake with Perl: %v", err)
		}
		checkSession(t, s, perl, fc, true)
		tc, ok := s.Conn.(*tls.Conn)
		if !ok {
			t.Fatalf("Session.Conn is %T, not TLS", s.Conn)
		}
		st := tc.ConnectionState()
		if !st.HandshakeComplete || st.Version < tls.VersionTLS12 || len(st.PeerCertificates) == 0 {
			t.Fatalf("TLS state: complete %v version %x peer certs %d", st.HandshakeComplete, st.Version, len(st.PeerCertificates))
		}
		if !strings.Contains(pem, "BEGIN CERTIFICATE") || st.PeerCertificates[0].Subject.CommonName != "AnyEvent::MP" {
			t.Errorf("Perl's TLS certificate subject %q, want the gencert one (CN=AnyEvent::MP)", st.PeerCertificates[0].Subject)
		}
		exchange(t, newRawPeer(t, s), goNodeID, "cbor")
	}

	t.Run("GoDialsPerl", func(t *testing.T) {
		t.Parallel()
		perl := StartAempRun(t, Spec{NodeID: "perl_tls", Secret: testSecret, Cert: pem}, nil)
		ctx := timeout(t, 10*time.Second)
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", perl.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		handshake(t, ctx, conn, perl, "go_tls", perl.Addr)
	})
	t.Run("PerlDialsGo", func(t *testing.T) {
		t.Parallel()
		l := listen(t)
		perl := StartAempRun(t, Spec{NodeID: "perl_tlsd", Secret: testSecret, Cert: pem, Seeds: []string{l.Addr().String()}}, nil)
		conn := acceptOne(t, l, 10*time.Second)
		handshake(t, timeout(t, 10*time.Second), conn, perl, "go_tls_seed", conn.RemoteAddr().String())
	})
	t.Run("Node", func(t *testing.T) {
		// node.Config.TLS: the node connects with TLS and cal works
		t.Parallel()
		perl := StartAempRun(t, Spec{NodeID: "perl_tlsn", Secret: testSecret, Cert: pem}, nil)
		n, logs := goNode(t, node.Config{NodeID: "go_tls_node", TLS: creds})
		ctx := timeout(t, 10*time.Second)
		if id, err := n.Connect(ctx, perl.Addr); err != nil || id != perl.NodeID {
			t.Fatalf("Connect: %q, %v", id, err)
		}
		reply, err := n.Cal(ctx, perl.NodeID, "time")
		if err != nil {
			t.Fatal(err)
		}
		checkTime(t, "Perl", reply)
		if _, err := logs.Wait(ctx, `"connected"`, `peer="perl_tlsn"`, `tls="true"`); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OtherCert", func(t *testing.T) {
		// a certificate Perl does not trust fails the TLS handshake
		t.Parallel()
		perl := StartAempRun(t, Spec{NodeID: "perl_tlsx", Secret: testSecret, Cert: pem}, nil)
		other, err := compat.GenCert()
		if err != nil {
			t.Fatal(err)
		}
		otherCreds, err := protocol.ParseTLSCredentials([]byte(other))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := goNode(t, node.Config{NodeID: "go_tls_other", TLS: otherCreds})
		_, err = n.Connect(timeout(t, 10*time.Second), perl.Addr)
		if !errors.Is(err, protocol.ErrTLS) {
			t.Fatalf("Connect with an untrusted cert: %v, want an error wrapping ErrTLS", err)
		}
	})
}

// TestWrongSecret: nodes with different secrets refuse each other, and
// both sides say why.
func TestWrongSecret(t *testing.T) {
	RequireAemp(t)
	const perlMsg = "disconnected - authentication failure/shared secret mismatch"
	t.Run("GoDialsPerl", func(t *testing.T) {
		t.Parallel()
		perl := StartAempRun(t, Spec{NodeID: "perl_secret", Secret: "the-perl-secret", Verbose: true}, nil)
		n, _ := goNode(t, node.Config{NodeID: "go_secret", Secret: "the-go-secret"})
		ctx := timeout(t, 10*time.Second)
		_, err := n.Connect(ctx, perl.Addr)
		if !errors.Is(err, protocol.ErrAuthFailed) {
			t.Fatalf("Connect with a wrong secret: %v, want an error wrapping protocol.ErrAuthFailed", err)
		}
		var he *protocol.HandshakeError
		if !errors.As(err, &he) || he.Node != perl.NodeID {
			t.Errorf("error %v does not name Perl node %q", err, perl.NodeID)
		}
		if msg := err.Error(); !strings.Contains(msg, `"`+perl.NodeID+`"`) || !strings.Contains(msg, "shared secret mismatch") {
			t.Errorf("error text %q should name %q and say shared secret mismatch", msg, perl.NodeID)
		}
		if _, err := perl.WaitLine(ctx, true, perlMsg); err != nil {
			t.Fatal(err)
		}
		if n.NodeIsUp(perl.NodeID) {
			t.Error("node is up despite the failed handshake")
		}
	})
	t.Run("PerlDialsGo", func(t *testing.T) {
		t.Parallel()
		n, logs := goNode(t, node.Config{NodeID: "go_secret_seed", Secret: "the-go-secret", Binds: []string{"127.0.0.1:0"}})
		perl := StartAempRun(t, Spec{NodeID: "perl_secretd", Secret: "the-perl-secret", Verbose: true, Seeds: n.Binds()}, nil)
		ctx := timeout(t, 10*time.Second)
		line, err := logs.Wait(ctx, "handshake failed", protocol.ErrAuthFailed.Error())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(line, perl.NodeID) {
			t.Errorf("Go's log line %q does not name the Perl node %q", line, perl.NodeID)
		}
		if _, err := perl.WaitLine(ctx, true, perlMsg); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPerlTLSCheckNamesWhatToInstall: when AnyEvent::TLS cannot load (here
// a Net::SSLeay that dies on load stands in for a missing one), the check
// fails with Perl's reason, and the skip line names the Debian package.
func TestPerlTLSCheckNamesWhatToInstall(t *testing.T) {
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("interop: no perl in PATH")
	}
	if err := checkPerlModule(perl, nil, "AnyEvent::TLS"); err != nil {
		t.Skipf("interop: AnyEvent::TLS does not load here either (%v); the check is exercised by TestTLS's skip", err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "Net"), 0o755); err != nil {
		t.Fatal(err)
	}
	fake := "die qq{Can't locate Net/SSLeay.pm in @INC (you may need to install the Net::SSLeay module) (@INC contains: x)\\n};\n"
	if err := os.WriteFile(filepath.Join(dir, "Net", "SSLeay.pm"), []byte(fake), 0o644); err != nil {
		t.Fatal(err)
	}
	err = checkPerlModule(perl, []string{"PERL5LIB=" + dir}, "AnyEvent::TLS")
	if err == nil || !strings.Contains(err.Error(), "Net::SSLeay") || strings.Contains(err.Error(), "@INC contains") {
		t.Fatalf("check with a broken Net::SSLeay: %v", err)
	}
	if msg := fmt.Sprintf(SkipNoPerlTLS, err); !strings.Contains(msg, "libnet-ssleay-perl") || strings.Contains(msg, "\n") {
		t.Errorf("skip line %q", msg)
	}
}
