// The `incontra` command line: one binary, one subcommand per job.
//
//   incontra schedule problem.json [-o result.json] [--time-limit-ms N] [--seed S]
//   incontra demo [--seed S]
//
// Exit codes: 0 done; 2 bad input (the message names the place and the rule); 1 anything else
// (an output file that cannot be written).
//
// Thread-safety: RunCli is called once, from main.
#pragma once

#include <iosfwd>

namespace incontra::server {

// Runs the command line; `out` and `err` stand for stdout and stderr so tests can capture them.
int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace incontra::server
