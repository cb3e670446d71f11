-- wrk script for bench/run.sh.
-- With BENCH_PATHS naming a file of paths (one a line), each request takes the next path, so a page backed by
-- one row is measured across many rows. At the end it prints one line, "BENCH_JSON {...}", for bench/report.py.

local paths = {}
local counter = 0
local threads = 0

local paths_file = os.getenv("BENCH_PATHS")
if paths_file and paths_file ~= "" then
  for line in io.lines(paths_file) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
end

function setup(thread)
  -- Threads start at different places in the list so they do not ask for the same row at the same moment.
  thread:set("offset", threads * 97)
  threads = threads + 1
end

function init(args)
  counter = offset or 0
end

if #paths > 0 then
  request = function()
    counter = counter + 1
    return wrk.format("GET", paths[(counter % #paths) + 1])
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "mean_us": %.1f, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, '
      .. '"paths": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout, #paths))
end
