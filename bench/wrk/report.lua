-- wrk script for the GET pages of bench/run.sh (bench/measure.py).
-- BENCH_PATHS: a file of paths (one a line); each request takes the next path, so a page backed by one row is
-- measured across many rows. BENCH_COOKIE: a Cookie header sent with every request (a signed-in member's session).

dofile("bench/wrk/summary.lua")

local paths = read_lines(os.getenv("BENCH_PATHS"))
local counter = 0
local threads = 0

local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
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
