#!/usr/bin/perl
# A Perl AnyEvent::MP 2.02 node of the chaos test (interop/chaos_test.go).
# It does exactly what the Go chaos node (interop/chaos_child_test.go) does,
# and prints what it observes on stdout, one canonical JSON object a line,
# in the order its event loop saw it. Written against the public API only.
#
#   perl chaos_node.pl PROFILE FAMILY INTERVAL
#
# - It makes an inbox port, registers it in FAMILY (db_reg) and watches
#   FAMILY (db_mon); every db_mon call prints {"ev":"view","keys":[...]}.
# - Sender: for every other inbox in the family it starts a stream: a fresh
#   port S (never sent to; it exists so that the receiver can monitor it),
#   a monitor on the inbox, and every INTERVAL seconds ["m", S, seq] with
#   seq = 1, 2, 3, ... When the monitor on the inbox fires, the stream ends
#   at once (S is killed, nothing more is sent from S) and a new stream to
#   that inbox starts a second later if the inbox is still in the family.
# - Receiver: on the first message from S it monitors S, then prints every
#   message. Events: stream/smon (sender monitor set up, fired), rwatch/rmon
#   (receiver monitor set up, fired), rcv (a message: s, q).
# - It exits when stdin closes.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::MP;
use AnyEvent::MP::Kernel;
use JSON::XS;

$| = 1;
my $coder = JSON::XS->new->utf8->canonical->allow_nonref->allow_blessed;
sub emit { print $coder->encode ({ @_ }), "\n" }

my ($profile, $family, $interval) = @ARGV;
configure profile => $profile;

my %view;     # inbox ports now in the family
my %streams;  # inbox -> { s => port, q => last seq, mon => guard }
my %retry;    # inbox -> timer of a stream restart
my %watch;    # sender port -> monitor guard (receiver side)
my $inbox;

# mon_checked is mon, but calls $cb with ["perl_bug_lost_monitor"] when
# AnyEvent::MP 2.02 dropped the monitor at once. Node.pm's monitor sends
# mon1 before it adds $cb to the node's list; on a global node (a seed)
# that does not know the monitored node's address yet, that send fails at
# once (transport_error "no known address"), which fires and deletes the
# list, and $cb then goes into the detached list: the monitor never fires.
# A correct kernel would fire it with that transport error, so this does.
sub mon_checked {
   my ($port, $cb) = @_;
   my $fired;
   my $wrap = sub { $fired = 1; &$cb };
   my $guard = mon $port, $wrap;
   my ($nodeid, $id) = split /#/, $port, 2;
   my $node = $AnyEvent::MP::Kernel::NODE{$nodeid};
   my $list = $node && $node->{lmon} && $node->{lmon}{$id};
   unless ($fired || ($list && grep $_ == $wrap, @$list)) {
      my $t; $t = AE::timer 0, 0, sub { undef $t; $cb->("perl_bug_lost_monitor") };
   }
   $guard
}

sub start_stream {
   my ($to) = @_;
   return if $to eq $inbox || $streams{$to} || $retry{$to};
   my $s = port;
   my $st = $streams{$to} = { s => $s, q => 0 };
   emit (ev => "stream", to => $to, s => $s);
   $st->{mon} = mon_checked $to, sub {
      my @reason = @_;
      delete $streams{$to};
      emit (ev => "smon", to => $to, s => $s, reason => \@reason);
      kil $s;
      $retry{$to} = AE::timer 1, 0, sub {
         delete $retry{$to};
         start_stream ($to) if $view{$to};
      };
   };
}

$inbox = port {
   my ($tag, $s, $q) = @_;
   return unless defined $tag && $tag eq "m";
   unless ($watch{$s}) {
      emit (ev => "rwatch", s => $s);
      $watch{$s} = mon_checked $s, sub {
         delete $watch{$s};
         emit (ev => "rmon", s => $s, reason => [@_]);
      };
   }
   emit (ev => "rcv", s => $s, q => $q);
};

db_reg $family => $inbox;

my $dbmon = db_mon $family => sub {
   my ($db) = @_;
   %view = map { $_ => 1 } keys %$db;
   emit (ev => "view", keys => [ sort keys %$db ]);
   start_stream ($_) for sort keys %$db;
};

my $tick = AE::timer $interval, $interval, sub {
   for my $to (sort keys %streams) {
      my $st = $streams{$to};
      snd $to, "m", $st->{s}, ++$st->{q};
   }
};

my $stdin = AE::io \*STDIN, 0, sub {
   sysread STDIN, my $buf, 4096 or exit 0;
};

emit (ev => "ready", node => $NODE, inbox => $inbox);
AnyEvent->condvar->recv;
