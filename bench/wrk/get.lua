-- GET of a per-member path (bench/http_load.py): each request asks for the next member of the
-- pool (or the same path, without ids).
-- wrk -s get.lua URL -- path=/aluno/{id}/frequencia threads=2 [ids=FILE] [token=JWT]
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local ids, path, headers, step, n
statuses = {}

function setup(thread) common.setup(thread) end

function init(args)
  local options = common.options(args)
  ids = options.ids and common.read_ids(options.ids) or { 0 }
  path = options.path
  headers = common.headers(options)
  step = tonumber(options.threads)
  n = thread_index
end

function request()
  local id = ids[(n % #ids) + 1]
  n = n + step
  return wrk.format("GET", (path:gsub("{id}", tostring(id))), headers)
end

function response(status) common.count(statuses, status) end

function done(summary, latency) common.done(summary, latency) end
