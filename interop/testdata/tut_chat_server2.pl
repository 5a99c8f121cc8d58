#!/usr/bin/perl
# Tutorial PART 3, the "bridge head" chat server, written for the
# aemp-go interop tests: it creates no port. Its node ID goes into
# "eg_chat_server2", and clients spawn their session port here with
# "::client_connect" (main::client_connect below).
use strict;
use warnings;
use AnyEvent;
use AnyEvent::MP;

$| = 1;
configure nodeid => "eg_chat_server2/%u";

my %members;   # client port => nick

sub broadcast {
   my ($line) = @_;
   print "relaying: $line\n";
   snd $_, $line for keys %members;
}

# runs in the context of the spawned port ($SELF)
sub client_connect {
   my ($client, $nick) = @_;
   mon $client;                    # the client's death kills this port
   mon $client, psub {
      delete $members{$client};
      broadcast "$nick (quits, @_)";
   };
   $members{$client} = $nick;
   broadcast "$nick (joins)";
   rcv $SELF, sub { broadcast "$nick: $_[0]" };
}

db_set eg_chat_server2 => $NODE;
warn "server ready.\n";

AnyEvent->condvar->recv;
