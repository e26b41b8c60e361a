-- bpftrace 0.17's -f json: NDJSON objects {"type": T, "data": D}, maps
-- as {"@name": value} (keyless) or {"@name": {"k1,k2": value}}, built
-- from the same rows and value data as the text output.
local output = require "luabpf.output"
local compat = require "luabpf.compat"

local json = {}

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t",
                  ["\r"] = "\\r", ["\b"] = "\\b", ["\f"] = "\\f" }

-- A JSON string. Bytes >= 0x80 pass through (UTF-8 stays UTF-8; bpftrace
-- 0.17 writes them as sign-extended \uffffffXX, which no parser accepts).
function json.string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or (c == "\127" and c) or string.format("\\u%04x", c:byte())
  end) .. '"'
end

-- An integer (any of luabpf.compat's forms), or a float past 2^63.
local function number(n)
  if compat.isint(n) or type(n) == "string" then return compat.intstr(n) end
  if n == 2.0 ^ 63 then return "9223372036854775808" end
  return string.format("%.17g", n)
end

function json.value(v)
  if type(v) == "string" then return json.string(v) end
  if type(v) == "number" or compat.isint(v) then return number(v) end
  if type(v) == "boolean" then return tostring(v) end
  return json.string(tostring(v))
end

function json.line(kind, data)
  return string.format('{"type": "%s", "data": %s}\n', kind, data)
end

-- hist/lhist rows: min (absent below the first bucket), max (absent above
-- the last), count, in that order.
local function buckets(rows)
  local parts = {}
  for i, r in ipairs(rows) do
    local f = {}
    if r.min then f[#f + 1] = '"min": ' .. number(r.min) end
    if r.max then f[#f + 1] = '"max": ' .. number(r.max) end
    f[#f + 1] = '"count": ' .. number(r.count)
    parts[i] = "{" .. table.concat(f, ", ") .. "}"
  end
  return "[" .. table.concat(parts, ", ") .. "]"
end

local function data(kind, v, range)
  if kind == "stats" then
    local d = output.value_data(kind, v)
    return string.format('{"count": %s, "average": %s, "total": %s}', number(d.count),
                         number(d.average), number(d.sum))
  elseif kind == "hist" or kind == "lhist" then
    return buckets(output.value_data(kind, v, range))
  end
  if kind ~= "str" and v ~= nil then return number(v) end -- 5.1: past 2^53 a string
  return json.value(v)
end

-- The message type bpftrace gives each map kind.
local types = { hist = "hist", lhist = "hist", stats = "stats", avg = "stats" }

-- One map as one line (sorted, top and div applied as in the text).
function json.map_line(m, opts)
  opts = opts or {}
  local kind = output.kind_of(m)
  local range -- lhist: {min, max, step}; hist: its k (hist(x, k))
  if kind == "lhist" then range = { output.map_fn(m, "lhist_range")(m) } end
  if kind == "hist" then range = output.ask(m, "hist_bits") end
  local rows = output.sorted(m, opts.top)
  local div = (opts.div and opts.div > 0) and opts.div or 1
  local name = json.string(output.map_name(m))
  local body
  if output.keyless(m) then
    local r = rows[1]
    body = r and data(kind, output.divided(kind, r[2], div), range) or "0"
  else
    local parts = {}
    for i, r in ipairs(rows) do
      parts[i] = json.string(output.key_text(r[1], m, ",")) .. ": " ..
                 data(kind, output.divided(kind, r[2], div), range)
    end
    body = "{" .. table.concat(parts, ", ") .. "}"
  end
  return json.line(types[kind] or "map", "{" .. name .. ": " .. body .. "}")
end

return json
