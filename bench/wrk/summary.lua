-- Shared by the wrk scripts of bench/run.sh (loaded with dofile from the repository root): at the end of a run
-- prints one line, "BENCH_JSON {...}", with wrk's figures for bench/report.py, and helpers to read input files.
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

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "connect": %d, "read": %d, "write": %d, "status": %d, '
      .. '"timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
