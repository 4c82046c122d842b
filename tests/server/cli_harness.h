// Runs the real `incontra` binary (INCONTRA_BIN) from the CLI tests: a fresh temp folder per
// test, quoting for the shell, whole-file reads and writes, and one run with its exit code,
// stdout and stderr captured.
//
// Thread-safety: TempDir names are unique per process (an atomic counter); Incontra() writes
// stdout.txt and stderr.txt in the folder it is given, so two runs at once need two folders.
//
// Usage:
//   TempDir dir;
//   WriteFile(dir / "p.jsonl", "{\"id\": \"a\", \"kind\": \"pa\"}\n");
//   Run run = Incontra(dir, "import " + Quote(dir / "p.jsonl") + " --event e --data " +
//                               Quote(dir / "data"));
//   CHECK_MESSAGE(run.code == 0, run.err);
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "tests/temp_dir.h"

#ifndef INCONTRA_BIN
#error "INCONTRA_BIN must name the incontra binary"
#endif

namespace incontra::server {

using TempDir = test::TempDir;

inline std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `incontra <args>` (args already quoted as needed) with stdout and stderr captured.
inline Run Incontra(const TempDir& dir, const std::string& args,
                    const std::string& stdin_file = "") {
  const std::string out = dir / "stdout.txt", err = dir / "stderr.txt";
  std::string command = Quote(INCONTRA_BIN) + " " + args + " >" + Quote(out) + " 2>" + Quote(err);
  if (!stdin_file.empty()) command += " <" + Quote(stdin_file);
  int status = std::system(command.c_str());
  Run run;
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = ReadFile(out);
  run.err = ReadFile(err);
  return run;
}

inline bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.find(prefix) == 0;
}
inline bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace incontra::server
