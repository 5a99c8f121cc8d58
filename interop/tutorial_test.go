package interop

// The AnyEvent::MP tutorial (AnyEvent::MP::Intro) with its programs mixed:
// the Go examples (examples/*, built once) and Perl versions of the same
// programs (testdata/tut_*.pl, written for these tests with the tutorial's
// message formats) run as separate processes against one seed, driven by
// one rc file (PERL_ANYEVENT_MP_RC) that gives them the secret, the seed
// and binds 127.0.0.1:0, as the tutorial's `aemp seeds` set-up does. The
// tests check what each program prints.

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// tutMesh is one seed and the rc file of the programs that use it.
type tutMesh struct {
	t    *testing.T
	bin  string // the built Go examples
	home *Home
	seed string // the seed's node ID
}

// newTutMesh starts a seed, a Go node or a Perl `aemp run`, on a free
// 127.0.0.1 port, and writes the rc file pointing at it.
func newTutMesh(t *testing.T, bin, tag string, goSeed bool) *tutMesh {
	t.Helper()
	addr := FreeAddr(t)
	id := tag + "_seed"
	if goSeed {
		meshGoNode(t, node.Config{NodeID: id, Binds: []string{addr}, Seeds: []string{addr}})
	} else {
		StartAempRun(t, Spec{NodeID: id, Secret: meshSecret, Addr: addr}, nil)
	}
	return &tutMesh{t: t, bin: bin, home: tutHome(t, addr), seed: id}
}

// goProg runs a Go example program.
func (m *tutMesh) goProg(prog string, args ...string) *tutProc {
	m.t.Helper()
	name := "Go " + prog
	if len(args) > 0 {
		name += " " + args[len(args)-1]
	}
	return startTutProc(m.t, name, m.home.Env(), m.home.Dir, filepath.Join(m.bin, prog), args...)
}

// perlProg runs testdata/tut_<prog>.pl.
func (m *tutMesh) perlProg(prog string, args ...string) *tutProc {
	m.t.Helper()
	perl := RequirePerl(m.t)
	script, err := filepath.Abs(filepath.Join("testdata", "tut_"+prog+".pl"))
	if err != nil {
		m.t.Fatal(err)
	}
	name := "Perl " + prog
	if len(args) > 0 {
		name += " " + args[len(args)-1]
	}
	return startTutProc(m.t, name, m.home.Env(), m.home.Dir, perl, append([]string{script}, args...)...)
}

// buildExamples builds the Go example programs into dir.
func buildExamples(t *testing.T, dir string) {
	t.Helper()
	ctx := timeout(t, 3*time.Minute)
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, p := range []string{"receiver", "sender", "chat_server", "chat_client", "chat_server2", "chat_client2"} {
		args = append(args, "./examples/"+p)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = ".." // the module root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestTutorial runs the tutorial's programs in mixed Perl/Go meshes.
func TestTutorial(t *testing.T) {
	RequireAemp(t)
	bin := t.TempDir()
	buildExamples(t, bin)

	t.Run("PerlReceiverGoSender", func(t *testing.T) { tutReceiverSender(t, newTutMesh(t, bin, "tut1", false), true) })
	t.Run("GoReceiverPerlSender", func(t *testing.T) { tutReceiverSender(t, newTutMesh(t, bin, "tut2", true), false) })
	t.Run("PerlChatServerMixedClients", func(t *testing.T) { tutChatPerlServer(t, newTutMesh(t, bin, "tut3", true)) })
	t.Run("GoChatServerPerlClients", func(t *testing.T) { tutChatGoServer(t, newTutMesh(t, bin, "tut4", false)) })
	t.Run("GoServer2PerlClient2", func(t *testing.T) { tutSpawnChat(t, newTutMesh(t, bin, "tut5", false), true) })
	t.Run("PerlServer2GoClient2", func(t *testing.T) { tutSpawnChat(t, newTutMesh(t, bin, "tut6", true), false) })
}

var receiverReady = regexp.MustCompile(`^receiver (\S+#\S+) ready$`)

// tutReceiverSender: PART 1. The sender starts first and waits (db_mon on
// "eg_receivers"); a receiver registers its port there, the sender sends
// it the time, the receiver prints it. A second receiver makes the sender
// send to both; when the first receiver's process is killed its entry
// goes away and the sender sends to the second one again. With
// perlReceiver the receivers are Perl and the sender Go, otherwise the
// other way round.
func tutReceiverSender(t *testing.T, m *tutMesh, perlReceiver bool) {
	ctx := timeout(t, 20*time.Second)
	var send *tutProc
	startRecv := func() (*tutProc, string) {
		var r *tutProc
		if perlReceiver {
			r = m.perlProg("receiver")
		} else {
			r = m.goProg("receiver")
		}
		_, line := r.waitLine(ctx, 0, "receiver ")
		mm := receiverReady.FindStringSubmatch(line)
		if mm == nil {
			t.Fatalf("%s printed %q, want \"receiver <port> ready\"", r.name, line)
		}
		return r, mm[1]
	}
	// received waits for the n-th "Received data: <unix time now>" line.
	received := func(r *tutProc, n int) {
		t.Helper()
		from := 0
		for i := 1; i <= n; i++ {
			j, line := r.waitLine(ctx, from, "Received data: ")
			from = j + 1
			v, err := strconv.ParseInt(strings.TrimPrefix(line, "Received data: "), 10, 64)
			if now := time.Now().Unix(); err != nil || v < now-60 || v > now+60 {
				t.Errorf("%s printed %q, want \"Received data: <unix time now>\"", r.name, line)
			}
		}
	}
	if perlReceiver {
		send = m.goProg("sender")
	} else {
		send = m.perlProg("sender")
	}
	time.Sleep(200 * time.Millisecond) // the sender is up before any receiver

	mark := send.mark()
	r1, p1 := startRecv()
	send.waitLine(ctx, mark, "sent to "+p1)
	received(r1, 1)

	mark = send.mark()
	r2, p2 := startRecv()
	send.waitLine(ctx, mark, "sent to "+p2)
	send.waitLine(ctx, mark, "sent to "+p1)
	received(r1, 2)
	received(r2, 1)

	mark = send.mark()
	r1.kill()
	send.waitLine(ctx, mark, "sent to "+p2)
	received(r2, 2)
	if n := send.count(mark, "sent to "+p1); n != 0 {
		t.Errorf("the sender still sent to the killed receiver %s", p1)
	}
}

// chatter is one chat client program.
type chatter struct {
	nick string
	p    *tutProc
}

// chatRound has every client type a line and checks that every client
// prints every line as the server relays it ("nick: text").
func chatRound(t *testing.T, clients []chatter, round string) {
	t.Helper()
	ctx := timeout(t, 10*time.Second)
	marks := make([]int, len(clients))
	for i, c := range clients {
		marks[i] = c.p.mark()
	}
	for _, c := range clients {
		c.p.type_(fmt.Sprintf("hello from %s, %s", c.nick, round))
	}
	for i, c := range clients {
		for _, from := range clients {
			c.p.waitLine(ctx, marks[i], fmt.Sprintf("%s: hello from %s, %s", from.nick, from.nick, round))
		}
	}
}

// waitJoins waits until server has relayed the join of every client, at
// or after line from.
func waitJoins(t *testing.T, server *tutProc, from int, clients []chatter) {
	t.Helper()
	ctx := timeout(t, 20*time.Second)
	for _, c := range clients {
		server.waitLine(ctx, from, "relaying: "+c.nick+" (joins)")
	}
}

// restartServer kills the chat server (SIGKILL: a crash), checks that
// every client prints "disconnected <reason>", starts a new server with
// start and waits until every client has joined it again.
func restartServer(t *testing.T, server *tutProc, start func() *tutProc, clients []chatter) *tutProc {
	t.Helper()
	marks := make([]int, len(clients))
	for i, c := range clients {
		marks[i] = c.p.mark()
	}
	t0 := time.Now()
	server.kill()
	ctx := timeout(t, 15*time.Second)
	for i, c := range clients {
		_, line := c.p.waitLine(ctx, marks[i], "disconnected ")
		if strings.TrimSpace(strings.TrimPrefix(line, "disconnected ")) == "" {
			t.Errorf("%s printed %q: no reason", c.p.name, line)
		}
	}
	t.Logf("every client disconnected %v after the kill", time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	server = start()
	waitJoins(t, server, 0, clients)
	for i, c := range clients {
		i1, _ := c.p.waitLine(ctx, marks[i], "disconnected ")
		c.p.waitLine(ctx, i1+1, "connecting...")
	}
	t.Logf("every client joined the new server %v after its start", time.Since(t0).Round(time.Millisecond))
	return server
}

// tutChatPerlServer: PART 2 with a Perl chat server, two Go clients and a
// Perl client. Each client's line reaches every client; when a client
// goes, the others are told it quit; killing and restarting the server
// disconnects and reconnects every client, and chat works again.
func tutChatPerlServer(t *testing.T, m *tutMesh) {
	ctx := timeout(t, 10*time.Second)
	start := func() *tutProc {
		s := m.perlProg("chat_server")
		s.waitLine(ctx, 0, "server ready.")
		return s
	}
	server := start()
	clients := []chatter{
		{"alice", m.goProg("chat_client", "alice")},
		{"bob", m.goProg("chat_client", "bob")},
		{"carol", m.perlProg("chat_client", "carol")},
	}
	waitJoins(t, server, 0, clients)
	for _, c := range clients {
		c.p.waitLine(ctx, 0, "connecting...")
	}
	// a client that joined before another one sees its join
	clients[0].p.waitLine(ctx, 0, "carol (joins)")
	chatRound(t, clients, "round 1")

	restartServer(t, server, start, clients) // the new server is stopped at cleanup
	chatRound(t, clients, "after the restart")

	// a client goes away: the others see it quit
	ctx = timeout(t, 10*time.Second)
	marks := []int{clients[0].p.mark(), clients[1].p.mark()}
	clients[2].p.kill()
	for i, c := range clients[:2] {
		_, line := c.p.waitLine(ctx, marks[i], "carol (quits, ")
		t.Logf("%s: %s", c.p.name, line)
	}
}

// tutChatGoServer: PART 2 with the Go chat server and two Perl clients,
// restart and a client's quit included.
func tutChatGoServer(t *testing.T, m *tutMesh) {
	ctx := timeout(t, 10*time.Second)
	start := func() *tutProc {
		s := m.goProg("chat_server")
		s.waitLine(ctx, 0, "server ready.")
		return s
	}
	server := start()
	clients := []chatter{
		{"dave", m.perlProg("chat_client", "dave")},
		{"erin", m.perlProg("chat_client", "erin")},
	}
	waitJoins(t, server, 0, clients)
	chatRound(t, clients, "round 1")
	server = restartServer(t, server, start, clients)
	chatRound(t, clients, "after the restart")

	// a client goes away: the Go server tells the other one
	ctx = timeout(t, 10*time.Second)
	mark := clients[0].p.mark()
	clients[1].p.kill()
	_, line := clients[0].p.waitLine(ctx, mark, "erin (quits, transport_error eg_chat_client/")
	t.Logf("%s: %s", clients[0].p.name, line)
	server.waitLine(ctx, 0, "relaying: erin (quits, ")
}

// tutSpawnChat: PART 3, the bridge head. A client spawns its session port
// on the server node ("::client_connect", with its client port and nick)
// after finding the node in "eg_chat_server2" with db_keys (retrying while
// there is none). With goServer a Go server2 serves two Perl client2s,
// otherwise a Perl server2 serves a Go and a Perl client2. Every line
// reaches both clients, also after the server was killed and restarted;
// a client that goes away is announced to the other.
func tutSpawnChat(t *testing.T, m *tutMesh, goServer bool) {
	start := func() *tutProc {
		var s *tutProc
		if goServer {
			s = m.goProg("chat_server2")
		} else {
			s = m.perlProg("chat_server2")
		}
		s.waitLine(timeout(t, 10*time.Second), 0, "server ready.")
		return s
	}
	var clients []chatter
	if goServer {
		// the clients start first and poll for a server
		clients = []chatter{{"frank", m.perlProg("chat_client2", "frank")}, {"grace", m.perlProg("chat_client2", "grace")}}
	}
	server := start()
	if !goServer {
		clients = []chatter{{"heidi", m.goProg("chat_client2", "heidi")}, {"ivan", m.perlProg("chat_client2", "ivan")}}
	}
	waitJoins(t, server, 0, clients)
	chatRound(t, clients, "round 1")
	server = restartServer(t, server, start, clients)
	chatRound(t, clients, "after the restart")

	ctx := timeout(t, 10*time.Second)
	mark := clients[0].p.mark()
	clients[1].p.kill()
	_, line := clients[0].p.waitLine(ctx, mark, clients[1].nick+" (quits, transport_error eg_chat_client2/")
	t.Logf("%s: %s", clients[0].p.name, line)
	server.waitLine(ctx, 0, "relaying: "+clients[1].nick+" (quits, ")
}
