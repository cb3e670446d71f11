-- wrk script for Stripe webhooks (bench/bench_webhook.py): signed POSTs to /payments/webhooks/stripe/.
-- BENCH_BODIES: one event a line, "<Stripe-Signature>\t<JSON body>", signed shortly before the run. Thread i of n
-- sends lines i, i+n, i+2n… so no event is sent twice while the file lasts.

dofile("bench/wrk/summary.lua")
wrk.headers["User-Agent"] = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"

local events = read_lines(os.getenv("BENCH_BODIES"))
local threads = 0

function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end

function init(args)
  counter = index or 0
  step = tonumber(os.getenv("BENCH_THREADS") or "1")
end

request = function()
  local fields = split_tab(events[(counter % #events) + 1])
  counter = counter + step
  local headers = {["Stripe-Signature"] = fields[1], ["Content-Type"] = "application/json"}
  return wrk.format("POST", "/payments/webhooks/stripe/", headers, fields[2])
end
