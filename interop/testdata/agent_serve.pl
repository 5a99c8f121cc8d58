# The command loop of the Perl test agents (agent.pl, ops_agent.pl): the Go
# tests append this file to an agent's script (startAgentScript in
# interop/common_test.go), which ends with serve_commands ($json, \%op).
#
# Each stdin line is a JSON command {"op":..., "id":...}; $op->{op} runs
# with it and its result hash is answered as {"ev":"done","id":...,...},
# a failure as {"ev":"error",...}. Then the node says "ready" and runs
# the event loop until stdin closes.
sub serve_commands {
   my ($json, $op) = @_;
   my $stdin; $stdin = AnyEvent::Handle->new (
      fh       => \*STDIN,
      on_error => sub { exit 0 },
      on_eof   => sub { exit 0 },
      on_read  => sub {
         $_[0]->push_read (line => sub {
            my $c = eval { $json->decode ($_[1]) };
            unless (ref $c eq "HASH") {
               out (ev => "error", error => "unparsable command: $_[1]");
               return;
            }
            my $f = $op->{$c->{op} // ""};
            unless ($f) {
               out (ev => "error", id => $c->{id}, error => "unknown op");
               return;
            }
            my $res = eval { $f->($c) };
            if ($@) {
               out (ev => "error", id => $c->{id}, op => $c->{op}, error => "$@");
            } else {
               out (ev => "done", id => $c->{id}, op => $c->{op}, %$res);
            }
         });
      },
   );

   out (ev => "ready", node => $NODE);
   AnyEvent->condvar->recv;
}
