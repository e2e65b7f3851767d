-- Couriers reporting their positions: POST /couriers/me/location, round-robin over many couriers'
-- tokens (one per line in $BENCH_TOKENS_FILE), each a little further along. Reports like wrk_report.lua.
dofile(os.getenv("BENCH_REPORT_LUA"))

local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS_FILE")) do tokens[#tokens + 1] = line end
local lat0 = tonumber(os.getenv("BENCH_LAT") or "52.37")
local lng0 = tonumber(os.getenv("BENCH_LNG") or "4.89")
local n = 0

request = function()
  n = n + 1
  local token = tokens[(n % #tokens) + 1]
  local step = (n % 1000) / 100000
  local body = string.format('{"lat": %.6f, "lng": %.6f}', lat0 + step, lng0 + step)
  return wrk.format("POST", "/couriers/me/location", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end
