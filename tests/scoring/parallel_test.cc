#include "scoring/parallel.h"

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>

namespace incontra::scoring {
namespace {

// Runs `loop` over n items on `threads` threads and renders how often each item was visited
// and whether any worker number was out of range: "" when every item came exactly once.
template <typename Loop>
std::string Visits(size_t n, int threads, Loop loop) {
  auto seen = std::make_unique<std::atomic<int>[]>(n + 1);
  std::atomic<bool> bad_worker{false};
  loop(n, threads, [&](size_t i, size_t worker) {
    seen[i].fetch_add(1);
    if (worker >= static_cast<size_t>(std::max(threads, 1))) bad_worker = true;
  });
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (seen[i] != 1) out += std::to_string(i) + "x" + std::to_string(seen[i]) + " ";
  }
  return bad_worker ? out + "bad worker" : out;
}

TEST_CASE("parallel loops: every item exactly once, workers numbered below the threads") {
  for (size_t n : {0, 1, 2, 7, 255, 256, 257, 1000}) {
    for (int threads : {1, 2, 3, 8}) {
      CAPTURE(n);
      CAPTURE(threads);
      CHECK(Visits(n, threads, [](size_t m, int t, auto body) { ParallelFor(m, t, body); }) == "");
      CHECK(Visits(n, threads, [](size_t m, int t, auto body) { ParallelQueue(m, t, body); }) ==
            "");
      for (size_t chunk : {0, 1, 64, 256}) {
        CAPTURE(chunk);
        CHECK(Visits(n, threads, [&](size_t m, int t, auto body) {
                ParallelChunks(m, t, chunk, body);
              }) == "");
      }
    }
  }
}

}  // namespace
}  // namespace incontra::scoring
