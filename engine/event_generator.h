// Generators of realistic schedule problems, for the demo, the benchmarks and the tests.
//
// - Connext-like: a two-day brokerage event (500 firms, 2,500 requested meetings, 16 half-hour
//   slots a day in a morning and an afternoon session), some participants away half a day,
//   popular hosts (PA buyers) that many firms want to meet, a few host tables.
// - Large: the same shape scaled to 100,000 participants and 1,000,000 meetings.
// - Tight forum: a brokerage forum of 40 to 80 participants and up to 300 meetings built around
//   a planted agenda with no breaks, packed tight (tables nearly full, busy participants meeting
//   in almost every slot); so an optimal agenda has 0 breaks and every meeting fits.
//
// Every generator is deterministic for its seed.
//
// Thread-safety: stateless functions.
//
// Usage:
//   ScheduleProblem p = GenerateEvent(ConnextLike(/*seed=*/1));
#pragma once

#include <cstdint>

#include "engine/schedule.h"

namespace incontra::engine {

struct GeneratorOptions {
  uint64_t seed = 1;
  int participants = 500;
  int meetings = 2500;
  int days = 2;
  int slots_per_day = 16;  // split evenly into a morning and an afternoon session
  int tables = 100;
  double pa_share = 0.15;          // share of participants that are PA hosts
  double away_half_day = 0.10;     // share of participants away for one half day
  double host_table_share = 0.05;  // share of PA hosts with a fixed host table
  double popularity = 1.1;         // Zipf exponent of how sought-after the hosts are
  double session_share = 0.02;     // share of meetings restricted to one session
  double fixed_share = 0.01;       // share of meetings with a fixed slot
  std::string date = "2027-02-25";  // first day, for slot start and end times
};

GeneratorOptions ConnextLike(uint64_t seed);
GeneratorOptions Large(uint64_t seed);

// A Connext-like or large event. Requests are spread over counterparts with a Zipf popularity,
// and no participant is asked for more meetings than it has available slots.
ScheduleProblem GenerateEvent(const GeneratorOptions& options);

// A tight forum with a planted agenda of 0 breaks: `participants` people, `slots` slots in one
// session, about `meetings` meetings, and exactly as many tables as the busiest planted slot.
ScheduleProblem GenerateTightForum(uint64_t seed, int participants, int slots, int meetings);

}  // namespace incontra::engine
