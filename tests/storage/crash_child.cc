// The crash test's child: runs the fixed workload of crash_ops.h against the store in argv[1]
// until it is killed, printing "ack <op> <kind> <id>" on stdout after each call returned ok.
// Acks are written with write(2), unbuffered, so the parent sees each one the moment the call
// returned and an ack is never lost in a stdio buffer when SIGKILL arrives.
//
//   storage_crash_child DIR
// Exit: 0 when the whole workload ran, 1 when a call failed (the reason on stderr), 2 on usage.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "storage/store.h"
#include "tests/storage/crash_ops.h"

namespace {

using incontra::Status;
using incontra::storage::RecordKind;
using incontra::storage::Store;
using incontra::storage::test::CrashOp;

bool WriteLine(const std::string& text) {
  const std::string line = text + "\n";
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = write(STDOUT_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

RecordKind KindOf(const std::string& kind) {
  if (kind == "participant") return RecordKind::kParticipant;
  if (kind == "request") return RecordKind::kRequest;
  if (kind == "meeting") return RecordKind::kMeeting;
  return RecordKind::kEvent;
}

Status Run(Store& store, const CrashOp& op) {
  if (op.kind == "event") return store.PutEvent(op.record);
  if (op.op == "put") return store.Put(KindOf(op.kind), incontra::storage::test::kCrashEvent, op.record);
  return store.Delete(KindOf(op.kind), incontra::storage::test::kCrashEvent, op.id);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: storage_crash_child DIR\n");
    return 2;
  }
  // Built before the store opens, so the kill delays, counted from "ack open", land on writes.
  const std::vector<CrashOp> ops = incontra::storage::test::CrashOps(5000);
  auto store = Store::Open(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "crash child: open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  if (!WriteLine("ack open - -")) return 1;
  for (const CrashOp& op : ops) {
    Status s = Run(**store, op);
    if (!s.ok()) {
      std::fprintf(stderr, "crash child: %s: %s\n", op.Ack().c_str(), s.ToString().c_str());
      return 1;
    }
    if (!WriteLine(op.Ack())) return 1;
  }
  return 0;
}
