-- POST /aluno/checkin (bench/http_load.py): every request a real 201. Request k (interleaved
-- over the threads) is a finished visit of member ids[k mod N], entering at
-- base + floor(k / N) * 2 h and leaving an hour later: many members, many instants, all in the
-- past, never overlapping another visit of the same member.
-- wrk -s checkin.lua URL -- ids=FILE base=EPOCH_SECONDS threads=2 [token=JWT]
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local SLOT_SECONDS, VISIT_SECONDS = 7200, 3600
local ids, base, headers, step, n
statuses = {}

function setup(thread) common.setup(thread) end

function init(args)
  local options = common.options(args)
  ids = common.read_ids(options.ids)
  base = tonumber(options.base)
  headers = common.headers(options, { ["Content-Type"] = "application/json" })
  step = tonumber(options.threads)
  n = thread_index
end

local function instant(epoch)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", epoch)
end

function request()
  local member = ids[(n % #ids) + 1]
  local entry = base + math.floor(n / #ids) * SLOT_SECONDS
  n = n + step
  local body = string.format(
    '{"aluno_id": %d, "data_entrada": "%s", "data_saida": "%s", "origem": "catraca"}',
    member, instant(entry), instant(entry + VISIT_SECONDS))
  return wrk.format("POST", "/aluno/checkin", headers, body)
end

function response(status) common.count(statuses, status) end

function done(summary, latency) common.done(summary, latency) end
