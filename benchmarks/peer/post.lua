-- wrk script for benchmarks/peer_postgraphile.py: every request POSTs the same GraphQL body,
-- read once per wrk thread from the JSON file named after `--` on wrk's command line.
--   wrk -t2 -c8 -d10s -s benchmarks/peer/post.lua http://127.0.0.1:PORT/graphql -- body.json
function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end
