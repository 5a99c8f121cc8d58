package node_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// The tutorial's first message: a port with a "test" handler gets a
// message and passes its data on.
func ExampleNode_NewPort() {
	n, _ := node.New(node.Config{NodeID: "example"})
	defer n.Close()

	end := make(chan any)
	port := n.NewPort(nil)
	port.Rcv("test", func(self *node.Port, args []any) {
		end <- args[0]
	})
	n.Snd(port.ID(), "test", 123)

	fmt.Println("Ending with:", <-end)
	// Output: Ending with: 123
}

// A port whose handler panics dies with the reason ["die", message]; its
// monitor is told.
func ExampleNode_MonFunc() {
	n, _ := node.New(node.Config{NodeID: "example"})
	defer n.Close()

	port := n.NewPort(func(self *node.Port, args []any) { panic("oops") })
	reason := make(chan []any)
	n.MonFunc(port.ID(), func(r []any) { reason <- r })
	n.Snd(port.ID())

	fmt.Println("killed with reason", <-reason)
	// Output: killed with reason [die oops]
}

// Monitoring a port that is already gone fires at once with no_such_port.
func ExampleNode_MonFunc_afterDeath() {
	n, _ := node.New(node.Config{NodeID: "example"})
	defer n.Close()

	port := n.NewPort(nil)
	dead := make(chan []any)
	n.MonFunc(port.ID(), func(r []any) { dead <- r })
	port.Kil("custom_error", "don't like your steenking face")
	fmt.Println(<-dead)

	n.MonFunc(port.ID(), func(r []any) { dead <- r })
	fmt.Println((<-dead)[:2])
	// Output:
	// [custom_error don't like your steenking face]
	// [no_such_port cannot monitor nonexistent port]
}

// MonKill links two ports: an abnormal death of the first kills the
// second with the same reason; a normal kil does not.
func ExampleNode_MonKill() {
	n, _ := node.New(node.Config{NodeID: "example"})
	defer n.Close()

	worker, supervised := n.NewPort(nil), n.NewPort(nil)
	n.MonKill(worker.ID(), supervised.ID())
	reason := make(chan []any)
	n.MonFunc(supervised.ID(), func(r []any) { reason <- r })

	worker.Kil("failure_mode_1", "too hot")
	fmt.Println(<-reason)
	// Output: [failure_mode_1 too hot]
}

// A seed runs the global service; nodes register ports in database
// families and monitor them. (Here both are one node, its own seed.)
func ExampleNode_DBMon() {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	seed, _ := node.New(node.Config{NodeID: "seed", Secret: "s", Binds: []string{addr}, Seeds: []string{addr}})
	seed.Start()
	defer seed.Close()

	changes := make(chan string, 10)
	seed.DBMon("eg_receivers", func(family map[string]any, added, changed, deleted []string) {
		changes <- fmt.Sprintf("%d receivers, added %d, deleted %d", len(family), len(added), len(deleted))
	})
	fmt.Println(<-changes) // the first call comes even when the family is empty

	receiver := seed.NewPort(func(*node.Port, []any) {})
	seed.DBReg("eg_receivers", receiver.ID(), nil)
	fmt.Println(<-changes)
	receiver.Kil()
	fmt.Println(<-changes)
	// Output:
	// 0 receivers, added 0, deleted 0
	// 1 receivers, added 1, deleted 0
	// 0 receivers, added 0, deleted 1
}

// Spawn creates a port on another node by calling an init function
// registered there; Cal sends a request with a reply port.
func ExampleNode_Spawn() {
	server, _ := node.New(node.Config{NodeID: "server", Secret: "s", Binds: []string{"127.0.0.1:0"}})
	server.Start()
	defer server.Close()
	server.Register("Example::Echo::init", func(self *node.Port, args []any) {
		greeting := args[0]
		self.Default(func(self *node.Port, msg []any) {
			reply := msg[len(msg)-1].(string)
			server.Snd(reply, greeting, msg[0])
		})
	})

	client, _ := node.New(node.Config{NodeID: "client", Secret: "s"})
	client.Start()
	defer client.Close()
	client.AddAddress("server", server.Binds()...)

	echo, _ := client.Spawn("server", "Example::Echo::init", "hello")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reply, err := client.Cal(ctx, echo, "world")
	fmt.Println(reply, err)
	// Output: [hello world] <nil>
}

// Inside a handler, which must not block, CalFunc replaces Cal: the
// callback runs on the dispatch goroutine with the reply or with the
// error Cal would have returned.
func ExampleNode_CalFunc() {
	n, _ := node.New(node.Config{NodeID: "example"})
	defer n.Close()

	adder := n.NewPort(func(self *node.Port, args []any) {
		a, b := node.Args(args).IntOr(0, 0), node.Args(args).IntOr(1, 0)
		n.Snd(args[len(args)-1].(string), a+b)
	})
	done := make(chan string)
	front := n.NewPort(func(self *node.Port, args []any) {
		n.CalFunc(time.Second, adder.ID(), func(reply []any, err error) {
			done <- fmt.Sprint(reply, err)
		}, args...)
	})
	n.Snd(front.ID(), 2, "40") // Perl sends numbers as strings at times

	fmt.Println(<-done)
	// Output: [42] <nil>
}

// AfterFunc's Timer cancels the call if stopped in time.
func ExampleNode_AfterFunc() {
	n, _ := node.New(node.Config{NodeID: "example"})
	defer n.Close()

	t := n.AfterFunc(time.Hour, func() { fmt.Println("too late") })
	fmt.Println("stopped:", t.Stop())
	// Output: stopped: true
}
