package main

import (
	"encoding/json"
	"time"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/protocol"
)

// lowLevelKeys are aemp's generic set/del pairs (the loop over
// monitor_timeout ... secure in bin/aemp).
var lowLevelKeys = []struct {
	key, args, usage string
	list             bool
}{
	{compat.KeyMonitorTimeout, "<seconds>", "handshake timeout and retry cap (default " + seconds(protocol.DefaultMonitorTimeout) + ")", false},
	{compat.KeyConnectInterval, "<seconds>", "time to reach one address before the next (default " + seconds(protocol.DefaultConnectInterval) + ")", false},
	{compat.KeyFramingFormat, "<json array>", "framings offered, preferred first (default " + jsonList(compat.DefaultFramingFormat()) + ")", true},
	{compat.KeyAuthOffer, "<json array>", "auth methods sent (default " + jsonList(protocol.DefaultAuthOffer()) + ")", true},
	{compat.KeyAuthAccept, "<json array>", "auth methods accepted (default " + jsonList(protocol.DefaultAuthAccept()) + ")", true},
	{compat.KeyAutocork, "<boolean>", "Perl's autocork handle option (no effect on Go nodes)", false},
	{compat.KeyNodelay, "<boolean>", "Perl's nodelay handle option (Go always sets TCP_NODELAY)", false},
	{compat.KeySecure, "<boolean>", "refuse remote code execution (eval, calls of unregistered functions)", false},
	{compat.KeyMetricsListen, "<host:port>", "aemp-go run serves Prometheus metrics there (aemp-go only; Perl ignores it)", false},
}

// seconds and jsonList write a default as `aemp set...` takes it.
func seconds(d time.Duration) string { return protocol.FormatPerlFloat(d.Seconds()) }

func jsonList(l []string) string {
	b, _ := json.Marshal(l) // a []string always marshals
	return string(b)
}

// lowLevelCommands: set<key> stores the next word as it is, like aemp,
// which means numbers and booleans from the command line are strings
// ("10", "0"), and Perl reads them as numbers and truth values anyway.
// A list key given a plain word is stored too, with a warning: Perl would
// treat the string as an empty list and fail every handshake.
func lowLevelCommands() []*command {
	var out []*command
	for _, k := range lowLevelKeys {
		set := setRawCmd("set"+k.key, k.key, k.args, "set "+k.key+": "+k.usage, catLowLevel, k.key+" value is missing")
		if k.list {
			store := set.chain
			key := k.key
			set.chain = func(s *session) error {
				if len(s.words) > 0 {
					if _, ok := s.words[0].([]any); !ok {
						s.warnf("%s should be a JSON array such as '[\"json\"]'; %s stored as given", key, displayArg(s.words[0]))
					}
				}
				return store(s)
			}
		}
		out = append(out, set, delCmd("del"+k.key, k.key, "remove "+k.key+" (inherit it again)", catLowLevel))
	}
	return out
}
