-- wrk script for scripts/perf/run.sh.
--   DJ_TOKEN  set: every request carries "Authorization: Bearer $DJ_TOKEN"
--   DJ_MODE=orgs:  POST /api/v1/orgs with a unique committee name per request
--                  (DJ_TAG makes names unique across runs, DJ_PARENT is the parent org id, default 1)
-- done() prints one machine-readable line:
--   RESULT rps=… p50_ms=… p99_ms=… requests=… non2xx=… sockerr=…

local token  = os.getenv("DJ_TOKEN")
local mode   = os.getenv("DJ_MODE") or "get"
local tag    = os.getenv("DJ_TAG") or tostring(os.time())
local parent = os.getenv("DJ_PARENT") or "1"

local threads = {}
local nthreads = 0

function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
  table.insert(threads, thread)
end

function init(args)
  if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  if mode == "orgs" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
  n = 0
end

if mode == "orgs" then
  function request()
    n = n + 1
    local body = string.format('{"parent_id":%s,"kind":"committee","name":"perf-%s-%d-%d"}', parent, tag, tid, n)
    return wrk.format(nil, nil, nil, body)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d non2xx=%d sockerr=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
