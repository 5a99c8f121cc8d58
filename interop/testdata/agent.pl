#!/usr/bin/perl
# A Perl AnyEvent::MP 2.02 node driven by the Go interop tests.
#
# Commands arrive on stdin, one JSON object per line; whatever the node
# observes is printed on stdout, one JSON object per line (canonical
# JSON::XS, so Go can compare exactly what Perl decoded). Written for the
# aemp-go interop tests against AnyEvent::MP's public API only.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::Handle;
use AnyEvent::MP;
use AnyEvent::MP::Kernel;
use JSON::XS;

$| = 1;
my $json = JSON::XS->new->utf8->canonical->allow_nonref;
sub out { print $json->encode ({ @_ }), "\n" }

configure profile => $ARGV[0];

my (%guard, %port);

# spawn target: ["::echo_init", $reply_port, @args]; every message to the
# new port goes back to $reply_port as ["spawned_echo", $self, @msg]
sub main::echo_init {
   my ($reply) = @_;
   my $self = $SELF;
   out (ev => "spawn_init", port => $self, args => [@_]);
   rcv $self, sub { snd $reply, spawned_echo => $self, @_ };
}

# a port that reports every message and understands a few tags:
#   ["echo", @args, $reply]  -> snd $reply, "echo", @args
#   ["silent", ...]          -> no reply
#   ["die", $msg]            -> die "$msg\n" (port dies with die => $msg)
sub test_port {
   my ($name) = @_;
   port {
      my @msg = @_;
      out (ev => "msg", name => $name, port => $SELF, data => \@msg);
      my $tag = $msg[0] // "";
      if ($tag eq "echo") {
         snd $msg[-1], echo => @msg[1 .. $#msg - 1];
      } elsif ($tag eq "die") {
         die "$msg[1]\n";
      }
   }
}

my %op = (
   port  => sub { my $p = test_port $_[0]{name}; $port{$_[0]{name}} = $p; return +{ port => $p } },
   snd   => sub { snd $_[0]{to}, @{ $_[0]{msg} }; return +{} },
   kil   => sub { kil $_[0]{port}, @{ $_[0]{reason} || [] }; return +{} },
   mon   => sub {
      my $id = $_[0]{id};
      $guard{$id} = mon $_[0]{port}, sub { out (ev => "mon", id => $id, reason => [@_]) };
      return +{};
   },
   unmon => sub { delete $guard{$_[0]{id}}; return +{} },
   spawn => sub { return +{ port => spawn $_[0]{node}, $_[0]{func}, @{ $_[0]{args} || [] } } },
   cal   => sub {
      my ($c) = @_;
      my $id = $c->{id};
      my $t0 = AE::now;
      cal $c->{to}, @{ $c->{msg} }, sub {
         AE::now_update;
         out (ev => "cal", id => $id, reply => [@_], elapsed => AE::now - $t0);
      }, (defined $c->{timeout} ? $c->{timeout} : ());
      return +{};
   },
   exit  => sub { exit 0 },
);

mon_nodes sub {
   my ($node, $up, @reason) = @_;
   out (ev => "node", node => $node, up => ($up ? "up" : "down"), reason => \@reason);
};

serve_commands ($json, \%op);
