-- POST /customers/me/orders with a fresh Idempotency-Key per request (every request a new order).
-- BENCH_TOKEN, BENCH_BODY come from the environment.
local counter = 0
local thread_tag = "t"
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "bench-" .. thread_tag .. "-" .. counter
  return wrk.format(nil, "/customers/me/orders")
end

init = function(args)
  -- Each thread has its own interpreter: a table's address tells them apart.
  thread_tag = tostring({}):match("0x(%x+)") .. tostring(os.time())
end
-- Prints one JSON line with throughput and latency percentiles (microseconds) when wrk is done.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.1f, "errors": %d, "non_2xx": %d, ' ..
    '"p50_us": %d, "p75_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max))
end
