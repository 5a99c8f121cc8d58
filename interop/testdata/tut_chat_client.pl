#!/usr/bin/perl
# Tutorial PART 2, the chat client with its supervisor, written for the
# aemp-go interop tests: it waits for a server in "eg_chat_server",
# joins with a fresh client port, prints what the server relays, and
# starts over when the client port dies (the server is monitored with
# the client port as receiver). Lines on stdin are sent as "privmsg".
use strict;
use warnings;
use AnyEvent;
use AnyEvent::Handle;
use AnyEvent::MP;

$| = 1;
my $nick = shift // "anonymous";
configure nodeid => "eg_chat_client/%u";

my ($server, $client, $finder);

sub find_server {
   $finder = db_mon eg_chat_server => sub {
      my ($servers) = @_;
      my ($found) = keys %$servers
         or return;
      undef $finder;

      print "\rconnecting...\n";
      $client = port { print "\r  \r@_\n> " };
      mon $client, sub {
         print "\rdisconnected @_\n";
         find_server ();
      };
      $server = $found;
      snd $server, join => $client, $nick;
      mon $server, $client;
   };
}

find_server ();

my $stdin = AnyEvent::Handle->new (
   fh       => \*STDIN,
   on_error => sub { exit 0 },
   on_eof   => sub { exit 0 },
);
my $line_cb; $line_cb = sub {
   my (undef, $line) = @_;
   print "> ";
   snd $server, privmsg => $nick, $line
      if $server;
   $stdin->push_read (line => $line_cb);
};
$stdin->push_read (line => $line_cb);

print "> ";
AnyEvent->condvar->recv;
