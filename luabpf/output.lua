-- bpftrace's text output (v0.17, checked against the real thing), so lab
-- users can compare line by line.
--
-- What a map gives (bpf.maps.F(m), or a view: a table of those functions,
-- such as a map aggregated in user space): name(), kind() ("sum", "int",
-- "min", "max", "avg", "stats", "hist", "lhist"; "none" if unused),
-- entries() -> { {key, value} }, key_types(), for lhist lhist_range() ->
-- min, max, step, for hist hist_bits(). Values: an integer for
-- sum/int/min/max/avg (avg already divided, truncating toward zero), a table
-- {count = n, sum = s} for stats, the bucket counts for hist (66: "(..., 0)",
-- "[0]", "[1]", "[2, 4)", ...) and lhist ((max - min) / step + 2 counts).
--
-- Integers are 64-bit on every Lua through luabpf.compat (on 5.1 and
-- LuaJIT large ones are strings or cdata): arithmetic and text on them
-- go through its helpers.
local core = require "luabpf.core"
local compat = require "luabpf.compat"

local output = {}

-- The map function name of m (nil if a view does not have it).
local function map_fn(m, name)
  if getmetatable(m) == core.map_mt then return core.map_methods[name] end
  return m[name]
end
output.map_fn = map_fn

-- What map_fn(m, name) returns for m, or dflt.
local function ask(m, name, dflt)
  local f = map_fn(m, name)
  if f then return f(m) end
  return dflt
end
output.ask = ask

local BAR = 52 -- width of the @ bars
local intstr, idiv, pow2 = compat.intstr, compat.idiv, compat.pow2

-- C's integer division (truncates toward zero); Lua's // floors.
local cdiv = compat.tdiv
output.cdiv = cdiv

-- bpftrace prints stack keys with frames indented by 4 (8 elsewhere).
local function stack_key(s)
  if s:sub(1, 1) ~= "\n" or s:sub(-1) ~= "\n" then return s end
  for line in s:sub(2, -2):gmatch("[^\n]*") do
    if line:sub(1, 8) ~= "        " then return s end
  end
  return (s:gsub("\n        ", "\n    "))
end

-- One part of a key as bpftrace prints it: pointers in hex, strings
-- unquoted, stacks multi-line. ktype is the part's type from m:key_types().
local function part_text(v, ktype)
  if ktype == "ptr" and (compat.isint(v) or type(v) == "string") then return compat.hex(v) end
  if ktype == "int" or compat.isint(v) then return intstr(v) end
  if type(v) == "string" then return stack_key(v) end
  return tostring(v)
end
output.part_text = part_text

-- The text between @name[ and ]: a tuple's parts joined by sep (", ";
-- JSON keys use ","). m, when given, says which parts are pointers.
function output.key_text(k, m, sep)
  local types = m and ask(m, "key_types", {}) or {}
  if type(k) ~= "table" then return part_text(k, types[1]) end
  local parts = {}
  for i = 1, #k do parts[i] = part_text(k[i], types[i]) end
  return table.concat(parts, sep or ", ")
end

-- A map of bpftrace's keyless kind (@total = count()): bpf.vars() fields.
function output.keyless(m)
  local t = ask(m, "key_types", {})
  return #t == 1 and t[1] == "none"
end

-- print(x) of a plain value.
function output.value_text(v)
  if compat.isint(v) then return intstr(v) end
  return tostring(v)
end

-- bpftrace prints the anonymous map as "@"; a local named "_" is one too.
function output.map_name(m)
  local name = ask(m, "name")
  if name == "_" then name = "" end
  return "@" .. name
end

local function kind_of(m)
  return ask(m, "kind", "sum")
end
output.kind_of = kind_of

-- ---- histograms ----

-- (float)count / (float)max * 52, in single precision like bpftrace.
local f32 = compat.f32
local function bar(count, max)
  local w = math.floor(f32(f32(f32(tonumber(count)) / f32(tonumber(max))) * BAR))
  return string.rep("@", w)
end

local function line(label, count, width_count, max)
  return string.format("%-16s%8s |%-52s|\n", label, intstr(count), bar(width_count, max))
end

-- First and last non-zero bucket, and the largest count.
local function span(counts)
  local first, last, max = nil, nil, 0
  for i = 1, #counts do
    local c = counts[i]
    if c > 0 then
      first = first or i
      last = i
      if compat.lt(max, c) then max = c end
    end
  end
  return first, last, max
end

-- 1 << power with K/M/G/T suffixes, as bpftrace's hist_index_label.
local function pow_label(power)
  local suffixes = { [4] = "T", [3] = "G", [2] = "M", [1] = "K" }
  for n = 4, 1, -1 do
    if power >= n * 10 then return intstr(pow2(power - n * 10)) .. suffixes[n] end
  end
  return intstr(pow2(power))
end

-- hist(x, k) bucket j (0-based) starts at 2^p * (2^k + j % 2^k), p =
-- j // 2^k - 1. As a label: bpftrace 0.20's (suffixes up to E) for k > 0,
-- 0.17's pow_label (up to T) for hist(x).
local function hist_bound(j, k)
  local n = pow2(k)
  local p, x = idiv(j, n) - 1, n + j % n
  if k == 0 then return pow_label(p) end
  local decade = idiv(p, 10)
  return intstr(pow2(p - 10 * decade) * x) .. ("KMGTPE"):sub(decade, decade)
end

-- The first value of bucket j as a number, and whether it is past 2^63
-- (a float then).
local function hist_start(j, k)
  local n = pow2(k)
  local p, x = idiv(j, n) - 1, n + j % n
  if p + k + 1 > 63 then return 2.0 ^ p * x, true end
  return pow2(p) * x, false
end

-- Label of hist bucket index i (1-based: bucket i - 1) of hist(x, k).
function output.hist_label(i, k)
  k = k or 0
  if i == 1 then return "(..., 0)" end
  if i - 1 <= 2 * pow2(k) then return "[" .. (i - 2) .. "]" end
  return "[" .. hist_bound(i - 2, k) .. ", " .. hist_bound(i - 1, k) .. ")"
end

-- The body of a hist: one line per bucket from the first non-zero one to the
-- last, counts divided by div (bars use the undivided counts). "" if empty.
function output.hist_text(counts, div, k)
  div = (div and div > 0) and div or 1
  local first, last, max = span(counts)
  if not first then return "" end
  local out = {}
  for i = first, last do
    out[#out + 1] = line(output.hist_label(i, k), cdiv(counts[i], div), counts[i], max)
  end
  return table.concat(out)
end

-- A bound of an lhist: 0, or a multiple of 1M / 1K with that suffix.
local function lhist_bound(n)
  if n == 0 then return "0" end
  if math.fmod(n, 1048576) == 0 then return intstr(idiv(n, 1048576)) .. "M" end
  if math.fmod(n, 1024) == 0 then return intstr(idiv(n, 1024)) .. "K" end
  return intstr(n)
end

-- Label of lhist bucket index i (1-based: 1 is below min, the last above max).
function output.lhist_label(i, min, max, step)
  local buckets = idiv(max - min, step)
  if i == 1 then return "(..., " .. lhist_bound(min) .. ")" end
  if i == buckets + 2 then return "[" .. lhist_bound(max) .. ", ...)" end
  return "[" .. lhist_bound((i - 2) * step + min) .. ", " .. lhist_bound((i - 1) * step + min) .. ")"
end

-- The body of an lhist, trimmed like a hist. bpftrace's div does not apply.
function output.lhist_text(counts, min, max, step)
  local first, last, top = span(counts)
  if not first then return "" end
  local out = {}
  for i = first, last do
    out[#out + 1] = line(output.lhist_label(i, min, max, step), counts[i], counts[i], top)
  end
  return table.concat(out)
end

-- ---- values as data ----

local function stats_average(v)
  return v.count ~= 0 and cdiv(v.sum, v.count) or 0
end

-- The values bucket i (1-based) of n holds, lo to hi inclusive (lo nil:
-- no lower bound; hi nil: none above). range: the lhist's {min, max,
-- step}, or the hist's k.
function output.bucket_bounds(kind, i, n, range)
  if kind == "hist" then
    local k = range or 0
    if i == 1 then return nil, -1 end
    if i - 1 <= 2 * pow2(k) then return i - 2, i - 2 end
    local lo, lo_over = hist_start(i - 2, k)
    local hi, hi_over = hist_start(i - 1, k)
    if lo_over then return lo, nil end
    return lo, hi_over and compat.maxint or hi - 1
  end
  local min, max, step = range[1], range[2], range[3]
  if i == 1 then return nil, min - 1 end
  if i == n then return max, nil end
  return (i - 2) * step + min, (i - 1) * step + min - 1
end

-- A map value as plain Lua data: integers stay integers; stats become
-- {count, sum, average}; hists become the non-empty range of buckets as
-- { {min = lo, max = hi, count = n}, ... } (no min below, no max above;
-- bpftrace's JSON layout). range: the lhist's {min, max, step}, or the
-- hist's k.
function output.value_data(kind, v, range)
  if kind == "stats" then
    return { count = v.count, sum = v.sum, average = stats_average(v) }
  elseif kind == "hist" or kind == "lhist" then
    local first, last = span(v)
    local rows = {}
    for i = first or 1, last or 0 do
      local lo, hi = output.bucket_bounds(kind, i, #v, range)
      rows[#rows + 1] = { min = lo, max = hi, count = v[i] }
    end
    return rows
  end
  return v
end

-- ---- maps ----

-- One part of a key against another; ktype from m:key_types().
local function part_less(a, b, ktype)
  if ktype == "int" or ktype == "ptr" then return compat.lt(a, b) end
  local ta, tb = type(a), type(b)
  if ta == tb and (ta == "number" or ta == "string") then return a < b end
  return tostring(a) < tostring(b)
end

local function key_less(a, b, types)
  if type(a) == "table" and type(b) == "table" then
    for i = 1, math.max(#a, #b) do
      if a[i] == nil then return true end
      if b[i] == nil then return false end
      if a[i] ~= b[i] then return part_less(a[i], b[i], types[i]) end
    end
    return false
  end
  return part_less(a, b, types[1])
end

-- What bpftrace sorts on: the value; stats by their average; hists by the
-- total count over all buckets.
local function sort_value(kind, v)
  if kind == "stats" then return stats_average(v) end
  if kind == "hist" or kind == "lhist" then
    local total = 0
    for i = 1, #v do total = total + v[i] end
    return total
  end
  return v
end

-- Entries sorted ascending like bpftrace (ties, which bpftrace leaves in
-- the kernel's order, by key so the order is stable), keeping the last
-- `top` when asked (not for stats: bpftrace ignores top there).
function output.sorted(m, top)
  local kind = kind_of(m)
  local rows = ask(m, "entries")
  local types = ask(m, "key_types", {})
  if kind == "str" then -- bpftrace sorts string values by key
    table.sort(rows, function(a, b) return key_less(a[1], b[1], types) end)
  else
    for _, r in ipairs(rows) do r.sort = sort_value(kind, r[2]) end
    table.sort(rows, function(a, b)
      if a.sort ~= b.sort then return compat.lt(a.sort, b.sort) end
      return key_less(a[1], b[1], types)
    end)
  end
  if kind ~= "stats" and top and top > 0 and #rows > top then
    local from = #rows - top
    for i = 1, top do rows[i] = rows[from + i] end
    for i = #rows, top + 1, -1 do rows[i] = nil end
  end
  return rows
end

local function head(name, k, m)
  if k == nil then return name .. ": " end
  return name .. "[" .. output.key_text(k, m) .. "]: "
end

-- A value with print()'s div applied (hists: their counts).
function output.divided(kind, v, div)
  if div == 1 or type(v) ~= "number" and kind ~= "hist" then return v end
  if kind == "hist" then
    local d = {}
    for i = 1, #v do d[i] = cdiv(v[i], div) end
    return d
  end
  return cdiv(v, div)
end

-- bpftrace's print(@name, top, div), also what it prints for each map at
-- exit (after a "\n\n" of its own). Entries are separated by "\n" and the
-- whole ends with one more: a plain map is "@m[k]: v" lines, a hist map
-- leaves a blank line after each histogram, avg and stats maps one after
-- the last line; an empty map is "\n" ("\n\n" for avg and stats).
function output.format_map(m, opts)
  opts = opts or {}
  local div = (opts.div and opts.div > 0) and opts.div or 1
  local kind, name, elems = kind_of(m), output.map_name(m), {}
  local range
  if kind == "lhist" then range = { map_fn(m, "lhist_range")(m) } end
  if kind == "hist" then range = ask(m, "hist_bits") end
  for _, r in ipairs(output.sorted(m, opts.top)) do
    local k, v, text = r[1], r[2], nil
    if kind == "hist" then
      text = head(name, k, m) .. "\n" .. output.hist_text(v, div, range)
    elseif kind == "lhist" then
      text = head(name, k, m) .. "\n" .. output.lhist_text(v, range[1], range[2], range[3])
    elseif kind == "stats" then
      text = string.format("%scount %s, average %s, total %s", head(name, k, m),
                           intstr(v.count), intstr(stats_average(v)), intstr(v.sum))
    elseif kind == "str" then
      text = head(name, k, m) .. v
    else
      text = head(name, k, m) .. intstr(cdiv(v, div))
    end
    elems[#elems + 1] = text
  end
  local tail = (kind == "avg" or kind == "stats") and "\n\n" or "\n"
  return table.concat(elems, "\n") .. tail
end

return output
