#!/usr/bin/perl
# A Perl AnyEvent::MP 2.02 node for the aemp-go global service tests
# (interop/global_test.go). It is driven by JSON commands on stdin, one
# per line, and prints what it observes on stdout as canonical JSON, one
# object per line. Written against AnyEvent::MP's public API only.
#
# Every command has an "id"; it is answered with {"ev":"done","id":...}
# (plus results) or {"ev":"error","id":...,"error":...}.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::Handle;
use AnyEvent::MP;
use AnyEvent::MP::Kernel;
use JSON::XS;

$| = 1;
my $coder = JSON::XS->new->utf8->canonical->allow_nonref;
sub emit { print $coder->encode ({ @_ }), "\n" }

configure profile => $ARGV[0];

my %keep;    # guards and ports by name, so they live as long as we want
my %ports;   # test port name -> port ID

# A port that reports every message it gets.
sub make_port {
   my ($name) = @_;
   my $self;
   $self = port {
      emit (ev => "msg", name => $name, port => $self, data => [@_]);
   };
   $self
}

sub list_of { [ sort @{ $_[0] || [] } ] }

my %cmd;

$cmd{port} = sub {
   my ($c) = @_;
   my $p = make_port $c->{name};
   $ports{$c->{name}} = $p;
   return +{ port => $p };
};

$cmd{snd} = sub { snd $_[0]{to}, @{ $_[0]{msg} }; return +{} };

$cmd{kil} = sub { kil $_[0]{port}, @{ $_[0]{reason} || [] }; return +{} };

# db_reg in void context: the entry lives as long as the port does
$cmd{db_reg} = sub {
   my ($c) = @_;
   if (exists $c->{value}) {
      db_reg $c->{family} => $c->{port} => $c->{value};
   } else {
      db_reg $c->{family} => $c->{port};
   }
   return +{};
};

$cmd{db_set} = sub {
   my ($c) = @_;
   $keep{"set $c->{family} $c->{key}"} = db_set $c->{family} => $c->{key} => $c->{value};
   return +{};
};

$cmd{db_del} = sub { db_del $_[0]{family} => @{ $_[0]{keys} }; return +{} };

# a database monitor; every call is reported with the family's full state
$cmd{db_mon} = sub {
   my ($c) = @_;
   my $id = $c->{id};
   $keep{"mon $id"} = db_mon $c->{family} => sub {
      my ($db, $add, $chg, $del) = @_;
      emit (ev => "dbmon", id => $id, family => { %$db }, keys => [ sort keys %$db ],
            added => list_of ($add), changed => list_of ($chg), deleted => list_of ($del));
   };
   return +{};
};

# a database monitor that sends @msg to every key (a port ID) added to the
# family, as the tutorial's sender does
$cmd{db_mon_snd} = sub {
   my ($c) = @_;
   my $id = $c->{id};
   my @msg = @{ $c->{msg} };
   $keep{"mon $id"} = db_mon $c->{family} => sub {
      for my $port (sort @{ $_[1] || [] }) {
         snd $port, @msg, $NODE;
         emit (ev => "sent", id => $id, to => $port);
      }
   };
   return +{};
};

$cmd{unmon} = sub { delete $keep{"mon $_[0]{mon}"}; return +{} };

for my $q (qw(db_family db_keys db_values)) {
   my $f = AnyEvent::MP->can ($q);
   $cmd{$q} = sub {
      my ($c) = @_;
      my $id = $c->{id};
      $f->($c->{family}, sub { emit (ev => $q, id => $id, result => $_[0]) });
      return +{};
   };
}

$cmd{exit} = sub { exit 0 };

my $in; $in = AnyEvent::Handle->new (
   fh       => \*STDIN,
   on_error => sub { exit 0 },
   on_eof   => sub { exit 0 },
);
my $reader; $reader = sub {
   my (undef, $line) = @_;
   my $c = eval { $coder->decode ($line) };
   if (ref $c ne "HASH") {
      emit (ev => "error", error => "not a JSON object: $line");
   } elsif (my $f = $cmd{$c->{op} // ""}) {
      my $r = eval { $f->($c) };
      $@ ? emit (ev => "error", id => $c->{id}, error => "$@")
         : emit (ev => "done", id => $c->{id}, op => $c->{op}, %$r);
   } else {
      emit (ev => "error", id => $c->{id}, error => "no such op");
   }
   $in->push_read (line => $reader);
};
$in->push_read (line => $reader);

mon_nodes sub {
   my ($node, $up) = @_;
   emit (ev => "node", node => $node, up => ($up ? JSON::XS::true : JSON::XS::false));
};

emit (ev => "ready", node => $NODE);
AnyEvent->condvar->recv;
