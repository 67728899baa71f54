-- Shared by the wrk scripts of bench/http_load.py: arguments, the id pool, the Authorization
-- header, per-thread status counts, and one parseable JSON line of results.
local common = {}

-- "key=value" arguments after wrk's `--` (same in every thread), as a table.
function common.options(args)
  local options = {}
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then options[key] = value end
  end
  return options
end

-- The member ids of the pool, one per line of `path`.
function common.read_ids(path)
  local ids = {}
  for line in io.lines(path) do
    local id = tonumber(line)
    if id then ids[#ids + 1] = id end
  end
  if #ids == 0 then error("no member ids in " .. path) end
  return ids
end

function common.headers(options, extra)
  local headers = extra or {}
  if options.token and options.token ~= "" then
    headers["Authorization"] = "Bearer " .. options.token
  end
  return headers
end

-- Thread bookkeeping: each thread gets an index (to interleave request numbers) and keeps a
-- table of status counts that done() adds up.
local threads = {}

function common.setup(thread)
  thread:set("thread_index", #threads)
  threads[#threads + 1] = thread
end

function common.count(statuses, status)
  statuses[status] = (statuses[status] or 0) + 1
end

function common.done(summary, latency)
  local totals = {}
  for _, thread in ipairs(threads) do
    local statuses = thread:get("statuses") or {}
    for status, n in pairs(statuses) do
      totals[tostring(status)] = (totals[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(totals) do
    parts[#parts + 1] = string.format('"%s": %d', status, n)
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "rps": %.2f, "p50_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "mean_us": %.1f, "statuses": {%s}, "errors": {"connect": %d, '
      .. '"read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max, latency.mean,
    table.concat(parts, ", "), errors.connect, errors.read, errors.write, errors.status,
    errors.timeout))
end

return common
