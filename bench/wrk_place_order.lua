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
-- The same report as the other measurements.
dofile(os.getenv("BENCH_REPORT_LUA"))
