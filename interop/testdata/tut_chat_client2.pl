#!/usr/bin/perl
# Tutorial PART 3, the "bridge head" chat client, written for the aemp-go
# interop tests: it looks the server node up with db_keys on
# "eg_chat_server2" (retrying every second while there is none), spawns
# its session port there with "::client_connect" and sends stdin lines
# to it. The client port dies with the session port; then it starts over.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::Handle;
use AnyEvent::MP;

$| = 1;
my $nick = shift // "anonymous";
configure nodeid => "eg_chat_client2/%u";

my ($server, $client);

sub server_connect {
   db_keys eg_chat_server2 => sub {
      my ($nodes) = @_;
      unless ($nodes && @$nodes) {
         after 1, \&server_connect;
         return;
      }
      print "\rconnecting...\n";
      $client = port { print "\r  \r@_\n> " };
      mon $client, sub {
         print "\rdisconnected @_\n";
         server_connect ();
      };
      $server = spawn $nodes->[0], "::client_connect", $client, $nick;
      mon $server, $client;
   };
}

server_connect ();

my $stdin = AnyEvent::Handle->new (
   fh       => \*STDIN,
   on_error => sub { exit 0 },
   on_eof   => sub { exit 0 },
);
my $line_cb; $line_cb = sub {
   my (undef, $line) = @_;
   print "> ";
   snd $server, $line
      if $server;
   $stdin->push_read (line => $line_cb);
};
$stdin->push_read (line => $line_cb);

print "> ";
AnyEvent->condvar->recv;
