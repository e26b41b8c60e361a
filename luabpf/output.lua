-- bpftrace's text output, so lab users can compare line by line.
local output = {}

local function key_text(k)
  if type(k) ~= "table" then return tostring(k) end
  local parts = {}
  for i = 1, #k do parts[i] = tostring(k[i]) end
  return table.concat(parts, ", ")
end

-- bpftrace prints the anonymous map as "@"; a local named "_" is one too.
function output.map_name(m)
  local name = m:name()
  if name == "_" then name = "" end
  return "@" .. name
end

-- Entries sorted like bpftrace: ascending by value (ties by key, so the
-- order is stable), keeping the last `top` when asked.
function output.sorted(m, top)
  local rows = m:entries()
  for _, r in ipairs(rows) do r.text = key_text(r[1]) end
  table.sort(rows, function(a, b)
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a.text < b.text
  end)
  if top and top > 0 and #rows > top then
    table.move(rows, #rows - top + 1, #rows, 1)
    for i = #rows, top + 1, -1 do rows[i] = nil end
  end
  return rows
end

-- "@name[k1, k2]: v" lines, bpftrace's print(@name, top, div).
function output.format_map(m, opts)
  opts = opts or {}
  local div, name, out = opts.div or 1, output.map_name(m), {}
  for _, r in ipairs(output.sorted(m, opts.top)) do
    out[#out + 1] = string.format("%s[%s]: %d\n", name, r.text, r[2] // div)
  end
  return table.concat(out)
end

return output
