#!/usr/bin/perl
# Regenerates args_perl.json, the table node/args_test.go checks Args against:
#   perl node/testdata/args_perl_gen.pl > node/testdata/args_perl.json
# Each input is decoded by JSON::XS or CBOR::XS, as AnyEvent::MP 2.02 decodes a
# message, and then used the way Perl code uses an argument: "$x", $x + 0,
# int $x, truth, and Scalar::Util::looks_like_number.
use strict;
no warnings;
use JSON::XS;
use CBOR::XS;
use Scalar::Util qw(looks_like_number);

my @json = (
   '"12"', '" 12"', '"12 "', '"\n12"', '"12abc"', '"0x1A"', '"1e3"', '"0.1e-2"', '"inf"', '"nan"',
   '"-Infinity"', '"nanq"', '"snan"', '"nan(1)"', '"Info"', '"infin"', '" inf "', '""', '"abc"', '"  -3.5e2x"', '".5"', '"5."', '"+7"', '"1_000"',
   '"0 but true"', '"1e"', '"-"', '"."', '" "', '"0"', '"00"', '"0.0"', '"-0"', '"3.7"', '"-3.7"',
   '"9223372036854775807"', '"1e400"',
   '0', '-0', '-0.0', '3.0', '3.7', '-3.7', '42', '2.5', '0.1', '0.30000000000000004', '1.5e-5', '0.0001',
   '1e15', '1e16', '123456789012345678', '9223372036854775807', '-9223372036854775808',
   '18446744073709551615', '1e300', 'true', 'false', 'null',
);
my @cbor = (
   'f94200',             # half float 3.0
   'f98000',             # half float -0.0
   'f97e00',             # half float NaN
   'f97c00',             # half float +Inf
   'fa3fc00000',         # single float 1.5
   'fb4009000000000000', # double 3.125
   '423432',             # byte string "42" (how CBOR::XS sends a stringified number)
   '43332e30',           # byte string "3.0"
   'f5', 'f4', 'f6',     # true, false, null
   '1b7fffffffffffffff', # 2^63-1
   '3b7fffffffffffffff', # -2^63
);

# Each operation gets a freshly decoded value: Perl caches a numeric view in
# the scalar (int 1e15 makes a later "$x" print 1000000000000000 instead of
# 1e+15), and a handler sees the value as it arrived.
sub row {
   my ($kind, $in, $decode) = @_;
   my $x = $decode->();
   my $str = defined $x ? "$x" : undef;
   return {
      $kind => $in,
      str   => $str,
      num   => "" . ($decode->() + 0),
      int   => "" . int $decode->(),
      true  => ($decode->() ? JSON::XS::true : JSON::XS::false),
      lln   => (looks_like_number ($decode->()) ? JSON::XS::true : JSON::XS::false),
   };
}

my @rows;
for my $in (@json) { push @rows, row (json => $in, sub { (decode_json "[$in]")->[0] }) }
for my $in (@cbor) { push @rows, row (cbor => $in, sub { decode_cbor pack "H*", $in }) }

my $coder = JSON::XS->new->canonical;
print "[\n", (join ",\n", map { "  " . $coder->encode ($_) } @rows), "\n]\n";
