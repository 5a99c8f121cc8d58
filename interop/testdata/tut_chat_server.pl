#!/usr/bin/perl
# Tutorial PART 2, the chat server, written for the aemp-go interop
# tests: one server port, registered in "eg_chat_server", understands
# "join" (client port, nick) and "privmsg" (nick, text) and relays every
# line to all joined clients, which it monitors.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::MP;

$| = 1;
configure nodeid => "eg_chat_server/%u";

my %nick_of;   # client port => nick

sub broadcast {
   my ($line) = @_;
   print "relaying: $line\n";
   snd $_, $line for keys %nick_of;
}

my $server = port;

rcv $server,
   join => sub {
      my ($client, $nick) = @_;
      $nick_of{$client} = $nick;
      mon $client, sub {
         delete $nick_of{$client};
         broadcast "$nick (quits, @_)";
      };
      broadcast "$nick (joins)";
   },
   privmsg => sub {
      my ($nick, $text) = @_;
      broadcast "$nick: $text";
   };

db_set eg_chat_server => $server;
warn "server ready.\n";

AnyEvent->condvar->recv;
