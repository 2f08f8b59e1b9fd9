-- P1 with wrk, independently of sbload: GET /Tickets/{id} with random ids over the reference
-- data set, with an API user's three headers from the environment.
--
--   SB_USER=… SB_SECRET=… SB_CODE=… SB_MAX_ID=100000 \
--     wrk -t2 -c16 -d10s --latency -s cmd/sbload/p1.lua http://127.0.0.1:18461
--
-- The bare baseline is the same wrk against a server answering the same bytes (sbload p1
-- prints its address while it runs; or any static server of the body).
local max_id = tonumber(os.getenv("SB_MAX_ID") or "100000")

wrk.headers["UserName"] = os.getenv("SB_USER")
wrk.headers["Secret"] = os.getenv("SB_SECRET")
wrk.headers["ApiIntegrationCode"] = os.getenv("SB_CODE")

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed)
end

function request()
  return wrk.format("GET", "/ATServicesRest/V1.0/Tickets/" .. math.random(1, max_id))
end
