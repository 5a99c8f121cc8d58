#!/usr/bin/perl
# Tutorial PART 1, the receiver, written for the aemp-go interop tests:
# a port registered in "eg_receivers" that prints the data of every
# "test" message. Network settings come from the rc file.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::MP;

$| = 1;
configure nodeid => "eg_receiver/%u";

my $inbox = port;
rcv $inbox, test => sub {
   my ($data) = @_;
   print "Received data: $data\n";
};
db_reg eg_receivers => $inbox;
print "receiver $inbox ready\n";

AnyEvent->condvar->recv;
