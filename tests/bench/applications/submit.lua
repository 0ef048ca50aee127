-- tests/bench/applications/submit.lua - wrk: each request submits another
-- candidate's graduation draft (the first submit of each: the real work);
-- a thread stops when its share of the prepared drafts is used up.
local lines = {}
for l in io.lines(os.getenv("BENCH_DRAFTS")) do lines[#lines + 1] = l end
local threads, counter = {}, 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(os.getenv("BENCH_THREADS"))
  share = {}
  for i = id, #lines, n do share[#share + 1] = lines[i] end
  next_i, answered, failed = 1, 0, 0
end

function request()
  local l = share[next_i]
  if l == nil then l = share[#share] end
  next_i = next_i + 1
  local app, cookie, csrf = l:match("([^\t]+)\t([^\t]+)\t([^\t]+)")
  return wrk.format("POST", "/api/v1/me/applications/" .. app .. "/submit",
                    {["Cookie"] = cookie, ["X-CSRF-Token"] = csrf,
                     ["Content-Type"] = "application/json"}, "{}")
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 then failed = failed + 1 end
  if answered >= #share then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("failed") end
  io.write(string.format("non-200 answers: %d\n", bad))
end
