// Command aemp-go is the Go counterpart of Perl's aemp tool of
// AnyEvent::MP 2.02: it edits the shared rc file with aemp's command
// chains, talks to nodes (snd, cal, mon, eval, trace), runs a Go node
// from a profile, and diagnoses connection problems. See README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// defaultTimeout is aemp's five-second limit for protocol commands.
const defaultTimeout = 5 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs aemp-go with args (without the program name) and returns the
// exit code. SIGINT and SIGTERM stop a running node or a waiting command.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdout, stderr)
}

// runContext is run with the signal handling replaced by ctx, which
// tests cancel to stop a node.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	words, err := perlArgs(args)
	if err != nil {
		return report(stderr, err)
	}
	argv := make([]string, 0, len(words)+1)
	argv = append(argv, "aemp-go")
	for _, w := range words {
		argv = append(argv, displayArg(w))
	}
	inv := &invocation{ctx: ctx, stdout: stdout, stderr: stderr, words: words}
	return report(stderr, inv.newApp().RunContext(ctx, argv))
}

// report prints a failure, unless it was printed already, and returns
// its exit code.
func report(stderr io.Writer, err error) int {
	if err != nil && err.Error() != "" {
		fmt.Fprintf(stderr, "aemp-go: %v\n", err)
	}
	return exitCode(err)
}
