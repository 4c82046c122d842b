-- wrk script for bench_http.py: GET requests rotating over a list of paths, each with a Bearer
-- key, and one machine-readable line with the figures at the end.
--
-- Environment (set by bench_http.py):
--   INCONTRA_BENCH_PATHS  a file of requests, one a line: a path ("/v1/events/e/participants/
--                         p1/suggestions"), optionally a tab and the key for that request;
--                         each wrk thread walks the list from its own starting point
--   INCONTRA_BENCH_KEY    the key for lines without one (none when empty)
--
-- Prints, after wrk's own report:
--   INCONTRA_WRK {"requests": N, "duration_us": N, "bytes": N, "errors": {...},
--                 "latency_us": {"min", "mean", "max", "stdev", "p50", "p90", "p99", "p999"}}
-- errors.status counts responses with a status of 400 or more (wrk's definition).

local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local requests = {}  -- whole requests, formatted once so the load loop only picks one
local next_request = 0

function init(args)
  local list = os.getenv("INCONTRA_BENCH_PATHS")
  local f = assert(io.open(list, "r"), "INCONTRA_BENCH_PATHS: cannot open " .. tostring(list))
  local default_key = os.getenv("INCONTRA_BENCH_KEY") or ""
  for line in f:lines() do
    local path, key = line:match("^([^\t]+)\t?(.*)$")
    if path then
      if key == "" then key = default_key end
      local headers = {}
      for name, value in pairs(wrk.headers) do headers[name] = value end
      if key ~= "" then headers["Authorization"] = "Bearer " .. key end
      requests[#requests + 1] = wrk.format("GET", path, headers)
    end
  end
  f:close()
  assert(#requests > 0, "INCONTRA_BENCH_PATHS: no requests")
  -- Threads start far apart in the list, so they do not ask for the same ids in step.
  next_request = ((thread_index or 0) * 7919) % #requests
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'INCONTRA_WRK {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "stdev": %.1f, ' ..
    '"p50": %d, "p90": %d, "p99": %d, "p999": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
