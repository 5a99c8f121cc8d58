package node

import (
	"fmt"
	"maps"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// nodeRequest handles one request to the node port "": src is the
// sending node, args the message without the request tag.
type nodeRequest func(src string, args []any)

// kernelRequests is Kernel.pm's %NODE_REQ: what the node port of every
// node understands.
func (n *Node) kernelRequests() map[string]nodeRequest {
	reqs := map[string]nodeRequest{
		// stop monitoring a local port for another node
		"mon0": func(src string, args []any) {
			port := argString(args, 0)
			r := n.remote(src)
			r.mu.Lock()
			m := r.rmon[port]
			delete(r.rmon, port)
			r.mu.Unlock()
			if m != nil {
				n.unmonitorLocal(port, m)
			}
		},
		// start monitoring a local port for another node: when it dies,
		// tell that node with kil0 (only while connected, as Perl does)
		"mon1": func(src string, args []any) {
			port := argString(args, 0)
			r := n.remote(src)
			m := &monitor{}
			m.cb = func(reason []any) {
				r.mu.Lock()
				if r.rmon[port] == m {
					delete(r.rmon, port)
				}
				up := r.tr != nil
				r.mu.Unlock()
				if up {
					r.send("", append([]any{"kil0", port}, reason...))
				}
			}
			r.mu.Lock()
			r.rmon[port] = m
			r.mu.Unlock()
			n.monitorLocal(port, m)
		},
		// another node has killed a port we monitor
		"kil0": func(src string, args []any) {
			if len(args) == 0 {
				return
			}
			n.remote(src).kil0(argString(args, 0), args[1:])
		},
		// another node wants to kill a local port
		"kil1": func(src string, args []any) {
			if len(args) == 0 {
				return
			}
			n.kill(argString(args, 0), args[1:])
		},
		// relay a message (snd_on)
		"snd": func(src string, args []any) { n.sndList(args) },
		// does this node understand a request? Perl answers "1" or "".
		"can": func(src string, args []any) {
			if len(args) < 2 {
				return
			}
			_, ok := n.reqs[argString(args, 0)]
			n.sndList(append(append([]any(nil), args[1:]...), perlBool(ok)))
		},
		// eval [expr, reply...]: a Go node cannot evaluate Perl. It
		// answers the read-only expressions of evalAllowlist exactly as
		// a Perl node would (reply..., "$@", results...). Anything else,
		// and everything in secure mode, is refused as Perl's secure
		// mode refuses it: _secure_check dies before any reply is sent,
		// so the caller gets no answer and the node logs it.
		"eval": func(src string, args []any) {
			expr := argString(args, 0)
			f, ok := allowedEval(expr)
			if !ok || n.cfg.Secure {
				n.log.Warn("error processing node message", "from", src, "request", "eval", "expr", clip(expr, 60),
					"err", "remote execution not allowed")
				return
			}
			if len(args) > 1 {
				reply := append(append([]any(nil), args[1:]...), "")
				n.sndList(append(reply, f(n)...))
			}
		},
		"time": func(src string, args []any) {
			now := float64(time.Now().UnixMicro()) / 1e6
			n.sndList(append(append([]any(nil), args...), now))
		},
		"devnull": func(string, []any) {},
		// empty messages are keepalives or similar
		"": func(string, []any) {},

		"g_global": n.global.gGlobalSeen,
		// another node wants us as its master: become global, then serve it
		"g_slave": func(src string, args []any) {
			n.becomeGlobal()
			n.reqs["g_slave"](src, args)
		},
		"g_reply": n.gReply,
		"g_found": n.gFound,
	}
	maps.Copy(reqs, n.db.requests())
	return reqs
}

// perlBool is how Perl's true and false values travel: "1" and "".
func perlBool(b bool) string {
	if b {
		return "1"
	}
	return ""
}

// clip shortens s for a log line.
func clip(s string, max int) string {
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

func argString(args []any, i int) string {
	if i >= len(args) {
		return ""
	}
	s, _ := protocol.PerlString(args[i])
	return s
}

// monitorLocal registers m on a local port, or fires it with no_such_port
// (Kernel.pm _monitor).
func (n *Node) monitorLocal(port string, m *monitor) {
	n.mu.Lock()
	if n.ports[port] == nil {
		n.mu.Unlock()
		m.fire([]any{"no_such_port", "cannot monitor nonexistent port", n.id + "#" + port})
		return
	}
	n.lmon[port] = append(n.lmon[port], m)
	n.mu.Unlock()
}

// dispatch runs one loop item.
func (n *Node) dispatch(it *item) {
	if it.fn != nil {
		defer func() {
			if r := recover(); r != nil {
				n.log.Error("callback panicked", "err", r)
			}
		}()
		it.fn()
		return
	}
	if it.port != "" {
		n.deliver(it.port, it.data, it.src)
		return
	}
	n.nodePort(it.src, it.data)
}

// nodePort handles a message to the node port. Unknown requests and
// failing ones are logged, never fatal (Kernel.pm's $PORT{""}).
func (n *Node) nodePort(src string, data []any) {
	if len(data) == 0 {
		return
	}
	tag := argString(data, 0)
	args := data[1:]
	defer func() {
		if r := recover(); r != nil {
			n.log.Error("error processing node message", "from", src, "request", tag, "err", fmt.Sprint(r))
		}
	}()
	if h := n.reqs[tag]; h != nil {
		h(src, args)
		return
	}
	n.callFunc(src, tag, args)
}
