// Loops spread over a few threads: the one way this code base splits work across cores.
//
// ParallelFor hands each thread a contiguous chunk (the calling thread takes the first), for
// work of even cost per item; ParallelQueue lets threads take the next item as they finish,
// for work of uneven cost; ParallelChunks does the same a few items at a time. All return when
// every item is done; `body` must be safe to call concurrently for different items. Threads
// are started per call: meant for loops over thousands of items, not for tiny ones.
//
// Usage:
//   ParallelFor(lines.size(), 2, [&](size_t i, size_t worker) { lines[i] = Render(i); });
//   ParallelQueue(groups.size(), 2, [&](size_t g, size_t worker) { Rank(groups[g]); });
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace incontra::scoring {

// body(i, worker) for i in [0, n), worker in [0, threads), in contiguous chunks.
template <typename Body>
void ParallelFor(size_t n, int threads, Body body) {
  const size_t workers = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(std::max(threads, 1)), n));
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) {
    pool.emplace_back([&, w] {
      for (size_t i = n * w / workers; i < n * (w + 1) / workers; ++i) body(i, w);
    });
  }
  for (size_t i = 0; i < n / workers; ++i) body(i, size_t{0});
  for (std::thread& t : pool) t.join();
}

// body(i, worker) for i in [0, n), each thread taking the next i as it finishes the last.
template <typename Body>
void ParallelQueue(size_t n, int threads, Body body) {
  std::atomic<size_t> next{0};
  auto work = [&](size_t worker) {
    for (size_t i; (i = next.fetch_add(1)) < n;) body(i, worker);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(work, static_cast<size_t>(t));
  work(0);
  for (std::thread& t : pool) t.join();
}

// body(i, worker) for i in [0, n), threads taking the next `chunk` items as they finish the
// last: for many items of uneven cost, each too small to be queued alone.
template <typename Body>
void ParallelChunks(size_t n, int threads, size_t chunk, Body body) {
  chunk = std::max<size_t>(1, chunk);
  ParallelQueue((n + chunk - 1) / chunk, threads, [&](size_t c, size_t worker) {
    for (size_t i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i) body(i, worker);
  });
}

}  // namespace incontra::scoring
