// A validated schedule problem with every id resolved to an index: what the search works on.
//
// Resources are what a meeting occupies in its slot: each participant, and each host table
// (a table some participant keeps all day). Host tables are reserved for their hosts, so the
// per-slot table limit applies to the other meetings only: `free_tables` of them per slot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/schedule.h"
#include "scoring/status.h"

namespace incontra::engine::internal {

struct CompiledProblem {
  const ScheduleProblem* source = nullptr;
  int slots = 0;
  int words = 0;  // bit words per slot set
  int participants = 0;
  int resources = 0;                        // participants, then host tables
  int free_tables = 0;                      // tables per slot for meetings without a host table
  std::vector<int> host_tables;             // table index of each host-table resource
  std::vector<int> participant_host_table;  // resource index or -1
  std::vector<int> max_meetings;            // per participant; INT32_MAX when unlimited
  std::vector<uint64_t> available;          // per participant, `words` words

  int meetings = 0;
  std::vector<int> res_begin;  // meeting m uses res[res_begin[m] .. res_begin[m+1])
  std::vector<int> res;
  std::vector<int> table_resource;  // per meeting: host-table resource or -1
  std::vector<uint64_t> domain;     // per meeting, `words` words: the slots it may use
  std::vector<int> fixed_slot;      // per meeting or -1
  std::vector<int> priority_rank;   // 0 = highest priority present
  int priority_levels = 0;
  std::vector<std::vector<int>> preds, succs;  // `after` edges
  std::vector<std::string> static_reason;      // why the domain is empty, when it is

  const uint64_t* Domain(int m) const { return &domain[static_cast<size_t>(m) * words]; }
  const uint64_t* Available(int p) const { return &available[static_cast<size_t>(p) * words]; }
  bool IsParticipant(int r) const { return r < participants; }
};

// Resolves ids and checks references, duplicates and cycles. Error messages name the JSON
// path (see scheduler.h for the codes).
Result<CompiledProblem> Compile(const ScheduleProblem& problem);

}  // namespace incontra::engine::internal
