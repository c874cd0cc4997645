-- wrk script for bench/load.py: one scenario, chosen by environment variables.
--   BENCH_MODE   health | token_get | key_get | reports | mix
--                mix: the realistic mix, per request at random: 70% a driver polls GET /api/v1/crossings, 20% a
--                driver sends one report (BENCH_PATH), 10% the partner key reads BENCH_ESTIMATE
--   BENCH_PATH   request path
--   BENCH_TOKENS file with one driver per line: "<token> <crossing slug> <direction>" (token_get, reports);
--                each driver reports on its own queue, as a driver in one queue would
--   BENCH_KEY    partner API key (key_get)
--   BENCH_BATCH  reports per request (reports); a batch spreads its observed_at over the past minutes
--   BENCH_NONCE  8 hex digits unique to this run: with the thread number and a counter it makes report ids unique
-- done() prints one line "BENCH_JSON {...}" that load.py reads.

local mode = os.getenv("BENCH_MODE") or "health"
local path = os.getenv("BENCH_PATH") or "/health/live"
local batch = tonumber(os.getenv("BENCH_BATCH") or "1")
local key = os.getenv("BENCH_KEY") or ""
local estimate_path = os.getenv("BENCH_ESTIMATE") or ""
local nonce = os.getenv("BENCH_NONCE") or "00000000"
local tokens = {}
local tokens_file = os.getenv("BENCH_TOKENS")
if tokens_file and tokens_file ~= "" then
  for line in io.lines(tokens_file) do
    local token, crossing, direction = string.match(line, "^(%S+)%s+(%S+)%s+(%S+)$")
    if token then tokens[#tokens + 1] = { token = token, crossing = crossing, direction = direction } end
  end
end

local threads = {}
local next_tid = 0

function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
  table.insert(threads, thread)
end

counter = 0
bad_items = 0
non_ok = 0

function init(args)
  math.randomseed(tid * 7919 + os.time())
end

local function report_id()
  counter = counter + 1
  return string.format("%s-%04x-4%03x-8%03x-%012x", nonce, tid, math.random(0, 4095), math.random(0, 4095), counter)
end

local function driver()
  return tokens[math.random(1, #tokens)]
end

function request()
  if mode == "mix" then
    local pick = math.random()
    if pick < 0.7 then
      return wrk.format("GET", "/api/v1/crossings", { ["Authorization"] = "Token " .. driver().token })
    elseif pick < 0.8 then
      return wrk.format("GET", estimate_path, { ["X-API-Key"] = key })
    end
  end
  if mode == "health" then
    return wrk.format("GET", path)
  elseif mode == "key_get" then
    return wrk.format("GET", path, { ["X-API-Key"] = key })
  elseif mode == "token_get" then
    return wrk.format("GET", path, { ["Authorization"] = "Token " .. driver().token })
  end
  local who = driver()
  local now = os.time()
  local items = {}
  for i = 1, batch do
    local observed = os.date("!%Y-%m-%dT%H:%M:%SZ", now - 30 - (batch - i) * 20)
    items[i] = string.format(
      '{"id":"%s","crossing":"%s","direction":"%s","kind":"position","observed_at":"%s","position":%d}',
      report_id(), who.crossing, who.direction, observed, math.random(1, 150))
  end
  local body = '{"reports":[' .. table.concat(items, ",") .. ']}'
  return wrk.format("POST", path, {
    ["Authorization"] = "Token " .. who.token,
    ["Content-Type"] = "application/json",
  }, body)
end

if mode == "reports" or mode == "mix" then
  function response(status, headers, body)
    if status ~= 200 then
      non_ok = non_ok + 1
    elseif body then
      local _, rejected = string.gsub(body, '"status":%s*"rejected"', "")
      local _, conflict = string.gsub(body, '"status":%s*"conflict"', "")
      bad_items = bad_items + rejected + conflict
    end
  end
end

function done(summary, latency, requests)
  local items, statuses = 0, 0
  for _, thread in ipairs(threads) do
    items = items + (thread:get("bad_items") or 0)
    statuses = statuses + (thread:get("non_ok") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "bad_items": %d, "non_ok": %d}\n',
    summary.requests, summary.duration, errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99), items, statuses))
end
