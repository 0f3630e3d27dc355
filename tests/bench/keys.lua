-- wrk script for scripts/bench-http.sh: every request draws one key,
--   POST /v1/sessions/<prefix><i>/keys  {"stream":"dropout","n":1}
-- over N sessions <prefix>0 .. <prefix>N-1, which must exist.
--
--   wrk -t2 -c64 -d10s --latency -s tests/bench/keys.lua URL -- [N] [prefix]
--
-- N defaults to 64, prefix to "bench". N = 1 puts every connection on one
-- session (one session lock, one row); N = 64 spreads them. wrk runs one Lua
-- state per thread and does not say which connection a request goes out on,
-- so each thread walks the sessions round-robin from its own starting point
-- (setup numbers the threads): with N >= the connections, concurrent
-- requests rarely meet on one session. The requests are formatted once, in
-- init, so Lua costs wrk next to nothing per request. No response() callback
-- either (it would make wrk parse every body); wrk still counts non-2xx/3xx
-- replies ("Non-2xx or 3xx responses").

local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local requests = {}
local next_request = 1

function init(args)
  local n = tonumber(args[1] or "64") or 64
  local prefix = args[2] or "bench"
  local headers = {["Content-Type"] = "application/json"}
  local body = '{"stream":"dropout","n":1}'
  for i = 0, n - 1 do
    requests[#requests + 1] =
      wrk.format("POST", "/v1/sessions/" .. prefix .. i .. "/keys", headers, body)
  end
  -- thread_index is set by setup(); a plain `wrk -s` run without setup has none.
  local first = tonumber(thread_index or 0) or 0
  next_request = (first * 32) % #requests + 1
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end
