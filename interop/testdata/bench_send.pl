#!/usr/bin/perl
# Benchmark sender for the aemp-go interop benchmarks. Reads commands on
# stdin:
#   oneway N  send ["start", now, N] then N x ["test", 123, "payload-..."]
#             to the receiver port $ARGV[1]
#   rtt N     N ping-pong round trips with the receiver, one at a time;
#             prints "rtt N <seconds>"
use strict;
use warnings;
use AnyEvent;
use AnyEvent::Handle;
use AnyEvent::MP;
use Time::HiRes ();

$| = 1;
configure profile => $ARGV[0];
my $dst = $ARGV[1];

my ($left, $count, $t0) = (0, 0, 0);
my $me; $me = port {
   if (--$left > 0) {
      snd $dst, ping => $left, $me;
   } else {
      printf "rtt %d %.6f\n", $count, Time::HiRes::time - $t0;
   }
};

my $stdin; $stdin = AnyEvent::Handle->new (
   fh       => \*STDIN,
   on_error => sub { exit 0 },
   on_eof   => sub { exit 0 },
   on_read  => sub {
      $_[0]->push_read (line => sub {
         my ($cmd, $n) = split / /, $_[1];
         if ($cmd eq "oneway") {
            $t0 = Time::HiRes::time;
            snd $dst, start => $t0, $n;
            snd $dst, test => 123, "payload-string-0123456789" for 1 .. $n;
            print "sent $n\n";
         } elsif ($cmd eq "rtt") {
            ($left, $count, $t0) = ($n, $n, Time::HiRes::time);
            snd $dst, ping => $left, $me;
         }
      });
   },
);

print "ready\n";
AnyEvent->condvar->recv;
