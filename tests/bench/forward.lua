-- wrk script for scripts/bench-http.sh: every request runs the session's model,
--   POST /v1/sessions/<prefix><i>/forward  <the bytes of BODY_FILE>
-- over N sessions <prefix>0 .. <prefix>N-1, which must exist and have a model
-- that takes the x of BODY_FILE (scripts/bench-http.sh writes it:
-- {"x": [[…64 floats…], …], "deterministic": false}).
--
--   wrk -t2 -c64 -d10s --latency -s tests/bench/forward.lua URL -- N prefix BODY_FILE \
--       [CONTENT_TYPE [ACCEPT [QUERY]]]
--
-- CONTENT_TYPE defaults to application/json; ACCEPT (sent when given) and
-- QUERY (appended to the path, e.g. "?deterministic=false") serve the .npy
-- variant, whose BODY_FILE is a .npy file.
-- As keys.lua: requests formatted once in init, each wrk thread walking the
-- sessions round-robin from its own starting point, no response() callback
-- (wrk counts non-2xx/3xx replies itself, "Non-2xx or 3xx responses").

local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local requests = {}
local next_request = 1

function init(args)
  local n = tonumber(args[1] or "1") or 1
  local prefix = args[2] or "bench"
  local path = args[3]
  if not path then error("forward.lua: the request body file is required (wrk … -- N prefix FILE)") end
  local f = assert(io.open(path, "rb"))
  local body = f:read("*a")
  f:close()
  local headers = {["Content-Type"] = args[4] or "application/json"}
  if args[5] then headers["Accept"] = args[5] end
  local query = args[6] or ""
  for i = 0, n - 1 do
    requests[#requests + 1] =
      wrk.format("POST", "/v1/sessions/" .. prefix .. i .. "/forward" .. query, headers, body)
  end
  local first = tonumber(thread_index or 0) or 0
  next_request = (first * 32) % #requests + 1
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end
