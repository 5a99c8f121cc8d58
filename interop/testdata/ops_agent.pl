#!/usr/bin/perl
# A Perl AnyEvent::MP 2.02 node for the aemp-go operations and API-gap
# tests (interop/ops_test.go, interop/apigaps_test.go). Commands arrive on
# stdin as JSON lines with an "id"; each is answered with
# {"ev":"done","id":...} plus results, or {"ev":"error",...}. What the
# node observes is printed on stdout as canonical JSON, one object per
# line. Written against AnyEvent::MP's public API only.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::Handle;
use AnyEvent::MP;
use AnyEvent::MP::Kernel;
use JSON::XS;

$| = 1;
my $json = JSON::XS->new->utf8->canonical->allow_nonref->allow_unknown;
sub out { print $json->encode ({ @_ }), "\n" }

configure profile => $ARGV[0];

my %keep;

my %op = (
   # a port with tag handlers for the given tags and a default one; every
   # message is reported with the handler that took it and $SRCNODE
   tagport => sub {
      my ($c) = @_;
      my $name = $c->{name};
      my $port = port {
         out (ev => "tag", name => $name, handler => "default", data => [@_],
              src => $AnyEvent::MP::Kernel::SRCNODE);
      };
      for my $tag (@{ $c->{tags} }) {
         rcv $port, $tag => sub {
            out (ev => "tag", name => $name, handler => $tag, data => [@_],
                 src => $AnyEvent::MP::Kernel::SRCNODE);
         };
      }
      return +{ port => $port };
   },
   snd => sub { snd $_[0]{to}, @{ $_[0]{msg} }; return +{} },
   cal => sub {
      my ($c) = @_;
      my $id = $c->{id};
      cal $c->{to}, @{ $c->{msg} }, sub { out (ev => "cal", id => $id, reply => [@_]) }, 10;
      return +{};
   },
   mon => sub {
      my $id = $_[0]{id};
      $keep{$id} = mon $_[0]{port}, sub { out (ev => "mon", id => $id, reason => [@_]) };
      return +{};
   },
   port_is_local => sub { return +{ local => (port_is_local $_[0]{port}) ? 1 : 0 } },
   # node_is_up: 1, 0 or undef (null)
   node_is_up => sub { my $s = AnyEvent::MP::Kernel::node_is_up $_[0]{node}; return +{ state => $s } },
   # peval on a port: with "die", the callback dies and the port is
   # killed; otherwise it returns its arguments summed up and counted.
   # peval's prototype ($$) refuses extra arguments in a normal call, so
   # they can only be passed with &peval (as MP.pm's psub does).
   peval => sub {
      my ($c) = @_;
      my @res = &peval ($c->{port}, sub {
         die "$c->{die}\n" if defined $c->{die};
         my $sum = 0; $sum += $_ for @_;
         ($sum, scalar @_)
      }, @{ $c->{args} || [] });
      return +{ result => \@res };
   },
   port => sub { my $p = port sub { }; return +{ port => $p } },
   # db_set, kept until the node exits (any family, even internal ones)
   db_set => sub {
      my ($c) = @_;
      $keep{"set $c->{family} $c->{key}"} = db_set $c->{family} => $c->{key} => $c->{value};
      return +{};
   },
   # LogCatcher.pm's catch: log every node's records into our log
   catch => sub {
      require AnyEvent::MP::LogCatcher;
      AnyEvent::MP::LogCatcher::catch ($_[0]{level});
      return +{};
   },
);

serve_commands ($json, \%op);
