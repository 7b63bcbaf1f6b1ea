-- wrk script for `make bench-api`: POSTs one prepared message per request (2207: each for a
-- different visit), each with its own msgid. Arguments after `--`: the file of message bodies (one
-- JSON per line), the number of wrk threads, the institution's API key. Thread k sends the
-- lines k, k + threads, k + 2 * threads, ...; running out is counted (a resent msgid would
-- be a cheap replay, not a settlement) and reported as "exhausted".

local threads = {}
-- the application processes' ports (WRK_PORTS, comma-separated): thread k sends to the
-- (k mod n)-th, so the connections are spread evenly over the processes
local ports = {}
for port in string.gmatch(os.getenv("WRK_PORTS") or "", "%d+") do
  ports[#ports + 1] = port
end

function setup(thread)
  thread:set("id", #threads)
  if #ports > 0 then
    thread.addr = wrk.lookup("127.0.0.1", ports[(#threads % #ports) + 1])[1]
  end
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads, key = args[1], tonumber(args[2]), args[3]
  bodies = {}
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == id then
      bodies[#bodies + 1] = line
    end
    i = i + 1
  end
  sent = 0
  exhausted = 0
  wrk.method = "POST"
  wrk.path = "/fsi/api"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. key
end

function request()
  sent = sent + 1
  if sent > #bodies then
    exhausted = exhausted + 1
    sent = 1
  end
  return wrk.format(nil, nil, nil, bodies[sent])
end

function done(summary, latency, requests)
  local out = 0
  for _, t in ipairs(threads) do
    out = out + (t:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "non2xx": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "exhausted": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, out))
end
