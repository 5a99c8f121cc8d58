#!/usr/bin/perl
# Tutorial PART 1, the sender, written for the aemp-go interop tests:
# whenever the "eg_receivers" family changes, every receiver in it gets
# a "test" message with the current time.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::MP;

$| = 1;
configure nodeid => "eg_sender/%u";

my $watch = db_mon eg_receivers => sub {
   my ($receivers) = @_;
   for my $to (sort keys %$receivers) {
      snd $to, test => time;
      print "sent to $to\n";
   }
};

AnyEvent->condvar->recv;
