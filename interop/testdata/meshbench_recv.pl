#!/usr/bin/perl
# Receiver of interop/meshbench: port "$NODE#bench" counts ["test", ...]
# messages. At the first and at the Nth ($ARGV[1]) it samples the wall
# clock, its own CPU time (user + system) and its context switches, and
# prints
#   done N <seconds> <cpu seconds> <voluntary> <nonvoluntary>
# for the window between them. ["warm"] prints "warm" (the orchestrator
# knows the connection is up); ["ping", $arg, $reply] is answered with
# ["pong", $arg] to $reply (round trips, and the Go sender's window).
use strict;
use warnings;
use AnyEvent;
use AnyEvent::MP;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC CLOCK_PROCESS_CPUTIME_ID);

$| = 1;
configure profile => $ARGV[0];
my $want = $ARGV[1];

sub ctxt {
   my ($v, $nv) = (0, 0);
   open my $fh, "<", "/proc/self/status" or return ($v, $nv);
   while (<$fh>) {
      $v  = $1 if /^voluntary_ctxt_switches:\s+(\d+)/;
      $nv = $1 if /^nonvoluntary_ctxt_switches:\s+(\d+)/;
   }
   ($v, $nv)
}

sub sample { (clock_gettime (CLOCK_MONOTONIC), clock_gettime (CLOCK_PROCESS_CPUTIME_ID), ctxt) }

my ($n, @first) = (0);
rcv "$NODE#bench",
   test => sub {
      if (++$n == 1) {
         @first = sample;
      } elsif ($n == $want) {
         my @last = sample;
         printf "done %d %.9f %.9f %d %d\n", $n, map $last[$_] - $first[$_], 0 .. 3;
      }
   },
   warm => sub { print "warm\n" },
   ping => sub { snd $_[1], pong => $_[0] };

print "ready $NODE#bench\n";
AnyEvent->condvar->recv;
