-- Prometheus's text exposition format 0.0.4, built on map entries: one
-- metric family per map, named luabpf_<map>. count/sum maps are
-- counters (_total), min/max/avg/plain values gauges, stats a summary
-- (_count, _sum), hist and lhist histograms (cumulative _bucket{le},
-- +Inf, _count, and the _sum the kernel keeps beside the buckets).
-- String-valued maps have no number to show and are left out.
local output = require "luabpf.output"
local compat = require "luabpf.compat"
local I = compat.intstr -- exact decimal text of a 64-bit value, on every Lua
local ask = output.ask -- bpf.maps.F(m), or a view's own F

local metrics = {}

-- Label names a script gave a map (bpf.map{labels = {...}}), and each
-- histogram's bucket range so far: weak, they die with their map.
local label_names = setmetatable({}, { __mode = "k" })
local bucket_span = setmetatable({}, { __mode = "k" })

local reserved = { le = "histograms", quantile = "summaries" }

-- bpf.map{labels = {"pid", "comm"}}: one name per key part. Errors are
-- the caller's (level 3: the user's bpf.map call).
function metrics.set_labels(m, labels)
  if type(labels) ~= "table" then
    error("bpf.map: labels must be a list of names, e.g. labels = {\"pid\", \"comm\"}", 3)
  end
  local seen, names = {}, {}
  for i, l in ipairs(labels) do
    if type(l) ~= "string" or not l:match("^[%a_][%w_]*$") or l:match("^__") then
      error(string.format("bpf.map: label %d (%s) is not a Prometheus label name " ..
                          "([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)", i, tostring(l)), 3)
    end
    if reserved[l] then
      error(string.format("bpf.map: label '%s' is reserved by Prometheus for %s", l,
                          reserved[l]), 3)
    end
    if seen[l] then error(string.format("bpf.map: label '%s' appears twice", l), 3) end
    seen[l], names[i] = true, l
  end
  local n = 0
  for _ in pairs(labels) do n = n + 1 end
  if n == 0 or n ~= #names then error("bpf.map: labels must be a non-empty list of names", 3) end
  label_names[m] = names
end

-- A map's key parts: how they print ({} for a keyless map).
local function key_types(m)
  local t = ask(m, "key_types", {})
  if #t == 1 and t[1] == "none" then return {} end
  return t
end

-- The labels a map's keys need do not match the names the script gave:
-- the message, or nil. Called when the session starts (keys are known).
function metrics.check(m)
  local names = label_names[m]
  if not names or ask(m, "kind") == "none" then return nil end
  local n = #key_types(m)
  if n ~= #names then
    return string.format("map %s was given %d label%s (%s) but its keys have %d part%s",
                         output.map_name(m), #names, #names == 1 and "" or "s",
                         table.concat(names, ", "), n, n == 1 and "" or "s")
  end
end

-- Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*, prefixed luabpf_; bpftrace's
-- @ (a map named "" or "_") is luabpf_map.
function metrics.name(m)
  local name = ask(m, "name")
  if name == "" or name == "_" then name = "map" end
  return "luabpf_" .. name:gsub("[^%w_]", "_")
end

local escapes = { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }

-- name="value" of one key part (integers need no escaping).
local function label(name, v, ktype)
  if compat.isint(v) and ktype ~= "ptr" then return name .. '="' .. I(v) .. '"' end
  return name .. '="' .. output.part_text(v, ktype):gsub('[\\"\n]', escapes) .. '"'
end

-- The a="x",b="y" of one key ("" for none). The texts of a map's keys
-- are prefix-free (each ends in an unescaped quote), so whole samples
-- that start with them sort as the keys' texts do.
local function label_text(k, names, types)
  if #names == 0 then return "" end
  if #names == 1 then return label(names[1], k, types[1]) end
  local parts = {}
  for i = 1, #names do parts[i] = label(names[i], k[i], types[i]) end
  return table.concat(parts, ",")
end

local function braces(labels, extra)
  if labels == "" then return extra and "{" .. extra .. "}" or "" end
  return "{" .. labels .. (extra and "," .. extra or "") .. "}"
end

local kinds = {
  sum = { "counter", "count() or sum()" }, int = { "gauge", "plain value" },
  min = { "gauge", "min()" }, max = { "gauge", "max()" }, avg = { "gauge", "avg()" },
  stats = { "summary", "stats()" }, hist = { "histogram", "hist()" },
  lhist = { "histogram", "lhist()" },
}

-- The le of each bucket in the map's range (1-based indexes first..last;
-- the last bucket, unbounded above, is +Inf's alone).
local function bucket_les(m, kind, rows)
  local range = kind == "lhist" and { ask(m, "lhist_range") } or ask(m, "hist_bits")
  local span = bucket_span[m] or {}
  local n = rows[1] and #rows[1][2] or 0
  for _, r in ipairs(rows) do -- every series of a map gets the same buckets
    local v = r[2]
    for i = 1, n do
      if v[i] ~= 0 then
        if not span[1] or i < span[1] then span[1] = i end
        break
      end
    end
    for i = n, 1, -1 do
      if v[i] ~= 0 then
        if not span[2] or i > span[2] then span[2] = i end
        break
      end
    end
  end
  bucket_span[m] = span -- kept: a bucket once shown stays in every scrape
  local les = {}
  for i = span[1] or 1, span[2] or 0 do
    local _, hi = output.bucket_bounds(kind, i, n, range)
    if hi then les[#les + 1] = { i, 'le="' .. I(hi) .. '"' } end
  end
  return les
end

-- One map's family: HELP, TYPE, samples sorted by their labels.
local function family(out, m)
  local kind = ask(m, "kind")
  local k = kinds[kind]
  if not k then return end -- unused, or string values
  local types = key_types(m)
  local names = label_names[m]
  if not names or #names ~= #types then
    names = {}
    if #types == 1 then names[1] = "key" end
    if #types > 1 then for i = 1, #types do names[i] = "key" .. i end end
  end
  local name = metrics.name(m)
  if kind == "sum" and not name:match("_total$") then name = name .. "_total" end
  out[#out + 1] = string.format("# HELP %s %s, a luabpf %s map\n# TYPE %s %s\n", name,
                                output.map_name(m):gsub("[\\\n]", escapes), k[2], name, k[1])
  local rows, samples = ask(m, "entries"), {}
  if k[1] == "counter" or k[1] == "gauge" then
    local one = #names == 1 and names[1] .. '="' -- the common case, in one concatenation
    for i, r in ipairs(rows) do
      local k = r[1]
      if one and compat.isint(k) and types[1] ~= "ptr" then
        samples[i] = name .. "{" .. one .. I(k) .. '"} ' .. I(r[2]) .. "\n"
      else
        samples[i] = name .. braces(label_text(k, names, types)) .. " " .. I(r[2]) .. "\n"
      end
    end
  elseif kind == "stats" then
    for i, r in ipairs(rows) do
      local l = braces(label_text(r[1], names, types))
      samples[i] = string.format("%s_sum%s %s\n%s_count%s %s\n", name, l, I(r[2].sum), name, l,
                                 I(r[2].count))
    end
  else
    local les = bucket_les(m, kind, rows)
    for n, r in ipairs(rows) do
      local labels = label_text(r[1], names, types)
      local v, lines, total, i = r[2], {}, 0, 1
      local pre = name .. "_bucket{" .. (labels == "" and "" or labels .. ",")
      for j, le in ipairs(les) do
        while i <= le[1] do
          total = total + v[i]
          i = i + 1
        end
        lines[j] = pre .. le[2] .. "} " .. I(total) .. "\n"
      end
      for j = i, #v do total = total + v[j] end
      lines[#lines + 1] = string.format('%s_bucket%s %s\n%s_sum%s %s\n%s_count%s %s\n', name,
                                        braces(labels, 'le="+Inf"'), I(total), name,
                                        braces(labels), I(v.sum), name, braces(labels), I(total))
      samples[n] = table.concat(lines)
    end
  end
  table.sort(samples) -- by key: see label_text
  out[#out + 1] = table.concat(samples)
end

-- The exposition of these maps (a session's), in the order given.
function metrics.render(maps)
  local out = {}
  for _, m in ipairs(maps) do family(out, m) end
  return table.concat(out)
end

return metrics
