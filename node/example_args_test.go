package node_test

import (
	"fmt"

	"github.com/aemp-go/aemp-go/node"
)

// A Perl peer sends numbers as strings once it has printed them, integral
// floats for integers, and booleans; Args reads them the way Perl code does.
func ExampleArgs() {
	// ["join", $nick, $count, $admin] as a Perl client may send it.
	args := []any{"join", int64(42), "3", 1.0}

	a := node.Args(args)
	nick, _ := a.String(1) // the nick typed as digits arrived as a number
	count, _ := a.Int(2)   // "3"
	admin, _ := a.Bool(3)  // 1.0 is true
	_, err := a.Int(4)     // there is no argument 4
	missing := a.IntOr(4, 10)

	fmt.Println(nick, count, admin, missing)
	fmt.Println(err)
	// Output:
	// 42 3 true 10
	// argument 4: want an integer, got nothing (4 arguments)
}

// DecodeAll reads the whole list into a struct, field by field, as Perl's
// `my ($tag, $nick, $opts) = @_` does; Decode reads one hash argument.
func ExampleArgs_DecodeAll() {
	type join struct {
		Tag  string
		Nick string
		Opts struct {
			Color string `aemp:"color"`
			Lines int    `aemp:"lines"`
		}
	}
	args := []any{"join", "alice", map[string]any{"color": "red", "lines": "25"}}

	var m join
	if err := node.Args(args).DecodeAll(&m); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%s %s %+v\n", m.Tag, m.Nick, m.Opts)

	bad := []any{"join", "bob", map[string]any{"lines": "many"}}
	fmt.Println(node.Args(bad).DecodeAll(&m))
	// Output:
	// join alice {Color:red Lines:25}
	// argument 2, lines: want an integer (int), got "many" (a string)
}
