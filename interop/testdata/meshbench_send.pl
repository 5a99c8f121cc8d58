#!/usr/bin/perl
# Sender of interop/meshbench, to the port $ARGV[1]. Commands on stdin:
#   warm    send ["warm"]
#   send N  send N x ["test", 123, "payload-string-0123456789"], one snd
#           each, as a Perl program would; prints
#           "sent N <bytes> <seconds> <cpu seconds>": the bytes then still
#           queued in the connection's write buffer (0: every message went
#           out in its own write), the time and the CPU time (user +
#           system) the loop took
#   rtt N   N ping-pong round trips, one at a time: ["ping", $i, "$NODE#pong"],
#           answered with ["pong", $i] on port "$NODE#pong"; prints
#           "rtt N <mean> <p50> <p99> <max>" in microseconds
use strict;
use warnings;
use AnyEvent;
use AnyEvent::Handle;
use AnyEvent::MP;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC CLOCK_PROCESS_CPUTIME_ID);

$| = 1;
configure profile => $ARGV[0];
my $dst  = $ARGV[1];
my $pong = "$NODE#pong";

my ($left, $count, $t0, @lat) = (0, 0, 0);
rcv $pong, pong => sub {
   push @lat, clock_gettime (CLOCK_MONOTONIC) - $t0;
   if (--$left > 0) {
      $t0 = clock_gettime CLOCK_MONOTONIC;
      snd $dst, ping => $left, $pong;
      return;
   }
   my @s = sort { $a <=> $b } @lat;
   my $sum = 0;
   $sum += $_ for @s;
   printf "rtt %d %.3f %.3f %.3f %.3f\n", $count,
      map 1e6 * $_, $sum / @s, $s[int ($#s * 0.5)], $s[int ($#s * 0.99)], $s[-1];
};

my $stdin; $stdin = AnyEvent::Handle->new (
   fh       => \*STDIN,
   on_error => sub { exit 0 },
   on_eof   => sub { exit 0 },
   on_read  => sub {
      $_[0]->push_read (line => sub {
         my ($cmd, $n) = split / /, $_[1];
         if ($cmd eq "warm") {
            snd $dst, "warm";
         } elsif ($cmd eq "send") {
            my ($t0, $c0) = (clock_gettime (CLOCK_MONOTONIC), clock_gettime (CLOCK_PROCESS_CPUTIME_ID));
            snd $dst, test => 123, "payload-string-0123456789" for 1 .. $n;
            my ($t1, $c1) = (clock_gettime (CLOCK_MONOTONIC), clock_gettime (CLOCK_PROCESS_CPUTIME_ID));
            # AnyEvent::MP internals, for this diagnostic only
            my ($node) = split /#/, $dst;
            my $hdl = $AnyEvent::MP::Kernel::NODE{$node}{transport}{hdl};
            printf "sent %d %d %.6f %.6f\n", $n, $hdl ? length $hdl->{wbuf} : -1, $t1 - $t0, $c1 - $c0;
         } elsif ($cmd eq "rtt") {
            ($left, $count, @lat) = ($n, $n);
            $t0 = clock_gettime CLOCK_MONOTONIC;
            snd $dst, ping => $left, $pong;
         }
      });
   },
);

print "ready\n";
AnyEvent->condvar->recv;
