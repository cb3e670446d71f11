-- Shared by the wrk scripts of bench/run.sh (loaded with dofile from the repository root): at the end of a run
-- prints one line, "BENCH_JSON {...}", with wrk's figures for bench/report.py, and helpers to read input files.
-- Its "percentiles" are the latency at every 0.5% up to 95%, every 0.05% up to 99.9% and every 0.01% above: enough
-- for bench/measure.py to work out the percentiles of several short runs taken together.
-- Every request carries a phone browser's User-Agent: the shop treats a request without one as a bot (a share link
-- then records no click).

BROWSER_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
  .. "Version/17.5 Mobile/15E148 Safari/604.1"
wrk.headers["User-Agent"] = BROWSER_UA

function read_lines(file)
  local lines = {}
  if file and file ~= "" then
    for line in io.lines(file) do
      if line ~= "" then
        lines[#lines + 1] = line
      end
    end
  end
  return lines
end

function split_tab(line)
  local fields = {}
  for field in string.gmatch(line, "[^\t]+") do
    fields[#fields + 1] = field
  end
  return fields
end

local function percentile_table(latency)
  local points, hundredths = {}, 50
  while hundredths <= 10000 do
    -- wrk's percentile(100) answers 0 (its rank is one past the last request): the 100% point is the maximum.
    local value = hundredths < 10000 and latency:percentile(hundredths / 100) or latency.max
    points[#points + 1] = string.format("[%.2f, %d]", hundredths / 100, value)
    if hundredths < 9500 then
      hundredths = hundredths + 50
    elseif hundredths < 9990 then
      hundredths = hundredths + 5
    else
      hundredths = hundredths + 1
    end
  end
  return "[" .. table.concat(points, ", ") .. "]"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "connect": %d, "read": %d, "write": %d, "status": %d, '
      .. '"timeout": %d, "percentiles": %s}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout, percentile_table(latency)))
end
