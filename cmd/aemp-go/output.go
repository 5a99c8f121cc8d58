package main

import (
	"strings"

	"github.com/aemp-go/aemp-go/protocol"
)

// calOutput formats reply values as aemp's cal and eval print them:
// `substr JSON::XS->new->encode([@values]), 1, -1`, a JSON array without
// its brackets, so ["b", 1.5] prints as "b",1.5. protocol's encoder is
// used because it writes what JSON::XS writes (Perl's float format, its
// string escapes), which matters when output is compared with aemp's.
func calOutput(values []any) string {
	// AppendJSON encodes a whole message, [port, values...]; the empty
	// port name costs the two bytes `""` that are cut off below.
	b, err := protocol.AppendJSON(nil, protocol.Message{Data: values})
	if err != nil {
		return jsonText(values)
	}
	s := strings.TrimPrefix(string(b[:len(b)-1]), `[""`)
	return strings.TrimPrefix(s, ",")
}

// joinOutput is Perl's `join " ", @values, "\n"`, which snd and mon
// print: values separated by blanks, then a blank and the newline (only
// the newline when there are no values). Non-scalars, which Perl would
// print as ARRAY(0x...), are shown as JSON.
func joinOutput(values []any) string {
	return strings.Join(append(perlWords(values), "\n"), " ")
}

// joinReason formats a kill reason as Perl's "@reason" does.
func joinReason(reason []any) string {
	return strings.Join(perlWords(reason), " ")
}

// perlWords stringifies values as Perl's print does.
func perlWords(values []any) []string {
	parts := make([]string, 0, len(values)+1)
	for _, v := range values {
		s, ok := protocol.PerlString(v)
		if !ok {
			s = calOutput([]any{v})
		}
		parts = append(parts, s)
	}
	return parts
}
