-- count_status.lua - wrk script: counts every response and those outside
-- 2xx, summed over wrk's threads, and prints wrk's own error counters.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  responses = 0
  non2xx = 0
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local total, bad = 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("responses")
    bad = bad + t:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format("RESULT responses=%d non2xx=%d requests=%d connect_errors=%d "
    .. "read_errors=%d write_errors=%d timeouts=%d max_latency_ms=%.1f p99_ms=%.1f\n",
    total, bad, summary.requests, e.connect, e.read, e.write, e.timeout,
    latency.max / 1000, latency:percentile(99) / 1000))
end
