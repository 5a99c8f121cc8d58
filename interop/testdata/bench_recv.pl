#!/usr/bin/perl
# Benchmark receiver for the aemp-go interop benchmarks: port "<node>#bench"
# counts ["test", ...] messages after a ["start", $t0, $count] message and
# prints "done <count> <seconds since $t0>" when the last one arrived; it
# answers ["ping", $arg, $reply] with ["pong", $arg] to $reply.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::MP;
use Time::HiRes ();

$| = 1;
configure profile => $ARGV[0];

my $port = "$NODE#bench";
my ($n, $want, $t0) = (0, 0, 0);
rcv $port,
   start => sub { ($t0, $want) = @_; $n = 0 },
   test  => sub {
      printf "done %d %.6f\n", $n, Time::HiRes::time - $t0
         if ++$n == $want;
   },
   ping  => sub { snd $_[1], pong => $_[0] };

print "ready $port\n";
AnyEvent->condvar->recv;
