-- wrk script for "add to cart" (bench/bench_cart.py): CSRF form POSTs to /cart/add/, the redirect not followed.
-- BENCH_CLIENTS: a file with one line per wrk thread, "<Cookie header>\t<csrf token>" (each thread its own session
-- and so its own cart); BENCH_VARIANTS: variant ids (one a line), each thread going through them from its own place.

dofile("bench/wrk/summary.lua")

local clients = read_lines(os.getenv("BENCH_CLIENTS"))
local variants = read_lines(os.getenv("BENCH_VARIANTS"))
local threads = 0

function setup(thread)
  local fields = split_tab(clients[(threads % #clients) + 1])
  thread:set("cookie", fields[1])
  thread:set("token", fields[2])
  thread:set("offset", threads * 53)
  threads = threads + 1
end

function init(args)
  counter = offset or 0
  wrk.method = "POST"
  wrk.headers["Cookie"] = cookie
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

request = function()
  counter = counter + 1
  local body = "csrfmiddlewaretoken=" .. token .. "&variant=" .. variants[(counter % #variants) + 1] .. "&quantity=1"
  return wrk.format("POST", "/cart/add/", nil, body)
end
