// Package compat makes a Go node share configuration and naming with Perl's
// AnyEvent::MP 2.02 and its `aemp` tool.
//
// Both implementations must be able to use the same rc file
// (~/.perl-anyevent-mp, or $PERL_ANYEVENT_MP_RC) in turn without losing each
// other's settings, resolve a profile to the same effective configuration,
// name nodes and ports the same way, and generate secrets and certificates of
// the same shape. Every Perl quirk that matters for that is documented next to
// the code that reproduces it, with a pointer to the Perl source
// (AnyEvent::MP 2.02: MP/Config.pm, MP/Kernel.pm, MP/Transport.pm, bin/aemp).
//
// Values in the rc file are kept in the form encoding/json produces with
// UseNumber: nil, bool, json.Number, string, []any and map[string]any. Perl is
// loosely typed, so readers of those values use Perl's rules for truth,
// numbers and strings (see perlvalue.go) instead of Go's.
package compat
