-- Folded stacks and SVG flame graphs of stack-keyed maps.
--
-- A map keyed by a stack (m[e.ustack], m[{e.comm, e.kstack}]) becomes a
-- list of stacks, each {frames = {root, ..., leaf}, kinds = {...}, count
-- = n}: the key's other parts lead (in key order), then its user stacks,
-- then its kernel stacks (a kernel stack runs on top of the user one),
-- each root first. Frames are symbol names without offsets, from the
-- value codec (bpf.maps.entries(m, "frames")). Keys that fold to the same frames
-- (one stack in two processes, one function at two offsets) add up.
--
-- folded(): "root;caller;leaf count" lines, what FlameGraph's
-- flamegraph.pl, speedscope and Pyroscope read. svg(): a self-contained
-- interactive flame graph (hover: name, count and share; click: zoom;
-- no external scripts, fonts or requests).
local output = require "luabpf.output"
local compat = require "luabpf.compat"

local fg = {}

-- A list of stacks, not a map (or a view of one).
local function is_list(x)
  return type(x) == "table" and not output.map_fn(x, "entries")
end

-- A map value as a count: counts and sums as they are, stats their
-- count, hists and lhists their total; strings count nothing.
local function count_of(kind, v)
  if kind == "stats" then return v.count end
  if kind == "hist" or kind == "lhist" then
    local n = 0
    for i = 1, #v do n = n + v[i] end
    return n
  end
  if compat.isint(v) then return v end
  return 0
end

-- Names as frames: ";" separates frames and a line ends the stack, so
-- both are kept out of names; an empty one is "[unknown]". Memoized per
-- call (a profile repeats few names many times).
local function frame_names()
  return setmetatable({}, { __index = function(t, raw)
    local s = tostring(raw)
    if s:find("[;\r\n]") then s = s:gsub("[;\r\n]", "_") end
    if s == "" then s = "[unknown]" end
    t[raw] = s
    return s
  end })
end

-- The stacks of map m (see above), sorted by their folded text; nil when
-- no part of m's key is a stack.
function fg.stacks(m)
  local types = output.ask(m, "key_types", {})
  local order, kinds = {}, {}
  for i, t in ipairs(types) do
    if t ~= "kstack" and t ~= "ustack" then order[#order + 1] = i; kinds[i] = "key" end
  end
  if #order == #types then return nil end
  for _, want in ipairs { "ustack", "kstack" } do
    for i, t in ipairs(types) do
      if t == want then order[#order + 1] = i; kinds[i] = t == "ustack" and "user" or "kernel" end
    end
  end
  local kind, byline, list = output.ask(m, "kind", "sum"), {}, {}
  local tuple, name = #types > 1, frame_names()
  for _, r in ipairs(output.map_fn(m, "entries")(m, "frames")) do
    local n = count_of(kind, r[2])
    if n > 0 then
      local frames, fkinds, k = {}, {}, 0
      for _, i in ipairs(order) do
        local part, pk = tuple and r[1][i] or r[1], kinds[i]
        if pk == "key" then
          k = k + 1
          frames[k], fkinds[k] = name[part], pk
        elseif #part == 0 then
          k = k + 1
          frames[k], fkinds[k] = "[unknown]", pk
        else
          for j = #part, 1, -1 do -- the codec gives the leaf first
            k = k + 1
            frames[k], fkinds[k] = name[part[j]], pk
          end
        end
      end
      local line = table.concat(frames, ";")
      local s = byline[line]
      if s then
        s.count = s.count + n
      else
        s = { frames = frames, kinds = fkinds, count = n, line = line }
        byline[line] = s
        list[#list + 1] = s
      end
    end
  end
  table.sort(list, function(a, b) return a.line < b.line end)
  return list
end

-- Folded text of a list of stacks (fg.stacks) or of a map: "" for a map
-- without stacks or without counts. top: only the top stacks by count.
function fg.folded(x, top)
  local list = is_list(x) and x or fg.stacks(x) or {}
  local lines = {}
  for i, s in ipairs(list) do lines[i] = s.line or table.concat(s.frames, ";") end
  local order = {}
  for i = 1, #list do order[i] = i end
  if top and top > 0 and #list > top then
    table.sort(order, function(a, b)
      if list[a].count ~= list[b].count then return list[a].count > list[b].count end
      return lines[a] < lines[b]
    end)
    for i = #order, top + 1, -1 do order[i] = nil end
    table.sort(order) -- back in the list's order
  end
  local out = {}
  for j, i in ipairs(order) do out[j] = lines[i] .. " " .. string.format("%d", list[i].count) .. "\n" end
  return table.concat(out)
end

-- ---- SVG ----

-- Valid UTF-8 (each invalid byte becomes "?"), as XML needs it.
local function utf8_clean(s)
  local out, i = {}, 1
  while i <= #s do
    local ok, bad = utf8.len(s, i)
    if ok then out[#out + 1] = s:sub(i); break end
    out[#out + 1] = s:sub(i, bad - 1) .. "?"
    i = bad + 1
  end
  return table.concat(out)
end

local function xml(s)
  return (utf8_clean(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
                                          ['"'] = "&quot;", ["'"] = "&apos;" })
           :gsub("[%z\1-\8\11\12\14-\31\127]", "?")) -- not allowed in XML 1.0
end

-- The call tree: node = {name, kind, count, children (list), index
-- (children by name; by kind and name for a name of two kinds)}. A
-- stack's count goes to its last node, then counts add up from the
-- leaves; a stack shares the nodes of the prefix it has in common with
-- the one before it (fg.stacks sorts them), found without look-ups.
local function tree(list)
  local root = { name = "all", kind = "root", count = 0, self = 0, children = {}, index = {} }
  local path, pframes, pkinds = {}, {}, {}
  for _, s in ipairs(list) do
    local frames, kinds = s.frames, s.kinds or {}
    local same, n = 0, math.min(#frames, #pframes)
    while same < n and frames[same + 1] == pframes[same + 1] and
          kinds[same + 1] == pkinds[same + 1] do
      same = same + 1
    end
    local node = same > 0 and path[same] or root
    for i = same + 1, #frames do
      local f, kind = frames[i], kinds[i] or "user"
      local child = node.index[f]
      if child and child.kind ~= kind then child = node.index[kind .. "\0" .. f] end
      if not child then
        child = { name = f, kind = kind, count = 0, self = 0, children = {}, index = {} }
        node.index[node.index[f] and kind .. "\0" .. f or f] = child
        node.children[#node.children + 1] = child
      end
      path[i] = child
      node = child
    end
    node.self = node.self + s.count
    pframes, pkinds = frames, kinds
  end
  local function add(node)
    local c = node.self
    for _, child in ipairs(node.children) do c = c + add(child) end
    node.count = c
    return c
  end
  add(root)
  return root
end

-- A stable colour per name: red to orange for user code, yellow for the
-- kernel, blue-grey for key parts (comm, pid, ...).
local function colour(name, kind)
  -- a polynomial hash mod 2^31 - 1, then two Park-Miller steps so that
  -- names one letter apart differ; every product stays below 2^53, exact
  -- as a double on Lua 5.1 and LuaJIT too
  local p, h = 2147483647, 7
  for i = 1, math.min(#name, 40) do h = (h * 131 + name:byte(i)) % p end
  h = (h * 48271) % p
  h = (h * 48271) % p
  local a, b = (h % 256) / 255, (math.floor(h / 256) % 256) / 255
  if kind == "kernel" then
    return string.format("rgb(%d,%d,%d)", 220 + math.floor(35 * a), 170 + math.floor(50 * b),
                         math.floor(40 * a))
  elseif kind == "key" then
    return string.format("rgb(%d,%d,%d)", 110 + math.floor(40 * a), 150 + math.floor(40 * a),
                         200 + math.floor(40 * b))
  elseif kind == "root" then
    return "rgb(220,220,220)"
  end
  return string.format("rgb(%d,%d,%d)", 205 + math.floor(50 * b), math.floor(130 * a),
                       math.floor(55 * b))
end

local FONT, FH = 12, 16 -- font size, frame height
local CHAR = FONT * 0.59 -- average glyph width of the monospace font
local PAD, TOP, BOTTOM = 10, 3 * FH, 2 * FH

-- The label that fits in w pixels (whole characters, ".." when cut).
local function fit(name, w)
  local n = math.floor((w - 6) / CHAR)
  if n < 3 then return "" end
  local len = utf8.len(name) or #name
  if len <= n then return name end
  local cut = utf8.len(name) and utf8.offset(name, n - 1) or n - 1
  return name:sub(1, cut - 1) .. ".."
end

-- The script of the SVG: zoom by click, details by hover, reset. Frames
-- are <g class="f"> with a <title>, a <rect> and a <text>; each knows
-- its first geometry from its rect.
local SCRIPT = [[
var W, PAD = 10, CHAR = 12 * 0.59, details, unzoom, frames = [];
function fitText(name, w) {
  var n = Math.floor((w - 6) / CHAR);
  if (n < 3) return "";
  return name.length <= n ? name : name.substring(0, n - 2) + "..";
}
function init(evt) {
  var svg = document.documentElement;
  W = +svg.getAttribute("width");
  details = document.getElementById("details");
  unzoom = document.getElementById("unzoom");
  var gs = document.getElementById("frames").getElementsByTagName("g");
  for (var i = 0; i < gs.length; i++) {
    var g = gs[i], r = g.getElementsByTagName("rect")[0];
    var title = g.getElementsByTagName("title")[0].textContent;
    g.fx = +r.getAttribute("x"); g.fw = +r.getAttribute("width");
    g.fy = +r.getAttribute("y");
    g.fname = title.replace(/ \([^()]*\)$/, "");
    g.ftitle = title;
    g.onmouseover = function () { details.textContent = this.ftitle; };
    g.onmouseout = function () { details.textContent = " "; };
    g.onclick = function () { zoom(this); };
    frames.push(g);
  }
  unzoom.onclick = reset;
}
function place(g, x, w, cls) {
  var r = g.getElementsByTagName("rect")[0], t = g.getElementsByTagName("text")[0];
  r.setAttribute("x", x.toFixed(2)); r.setAttribute("width", w.toFixed(2));
  t.setAttribute("x", (x + 3).toFixed(2));
  t.textContent = fitText(g.fname, w);
  g.setAttribute("class", cls);
}
function zoom(z) {
  var scale = (W - 2 * PAD) / z.fw, lo = z.fx, hi = z.fx + z.fw;
  for (var i = 0; i < frames.length; i++) {
    var g = frames[i];
    if (g.fy > z.fy && g.fx <= lo + 0.0001 && g.fx + g.fw >= hi - 0.0001) {
      place(g, PAD, W - 2 * PAD, "f parent");
    } else if (g.fy <= z.fy && g.fx >= lo - 0.0001 && g.fx + g.fw <= hi + 0.0001) {
      place(g, PAD + (g.fx - lo) * scale, g.fw * scale, "f");
    } else {
      g.setAttribute("class", "f hide");
    }
  }
  unzoom.setAttribute("class", "");
}
function reset() {
  for (var i = 0; i < frames.length; i++) place(frames[i], frames[i].fx, frames[i].fw, "f");
  unzoom.setAttribute("class", "hide");
}
]]

-- The SVG text of a flame graph of x: a map, or a list of stacks
-- (fg.stacks). opts: title (default "Flame Graph", with a map's name),
-- width (1200), minwidth (frames narrower than this many pixels are left
-- out, 0.1).
function fg.svg(x, opts)
  opts = opts or {}
  local list = is_list(x) and x or fg.stacks(x) or {}
  local title = opts.title or "Flame Graph"
  if not opts.title and not is_list(x) then title = title .. ": " .. output.map_name(x) end
  local W = math.floor(tonumber(opts.width) or 1200)
  local minw = tonumber(opts.minwidth) or 0.1
  local root = tree(list)
  local total = root.count
  local scale = total > 0 and (W - 2 * PAD) / total or 0
  local depth, rows = 0, {}
  -- (children in name order, as FlameGraph draws them)
  local function walk(node, x0, level)
    local w = node.count * scale
    if w < minw then return end
    if level > depth then depth = level end
    rows[#rows + 1] = { node = node, x = x0, w = w, level = level }
    table.sort(node.children, function(a, b)
      if a.name ~= b.name then return a.name < b.name end
      return a.kind < b.kind
    end)
    local cx = x0
    for _, c in ipairs(node.children) do
      walk(c, cx, level + 1)
      cx = cx + c.count * scale
    end
  end
  if total > 0 then walk(root, PAD, 0) end
  local H = TOP + (depth + 1) * FH + BOTTOM
  local out = {}
  local function put(s) out[#out + 1] = s end
  put('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n')
  put(string.format('<svg version="1.1" width="%d" height="%d" viewBox="0 0 %d %d" ' ..
    'onload="init(evt)" xmlns="http://www.w3.org/2000/svg">\n', W, H, W, H))
  put('<style type="text/css">\n' ..
    'text { font-family: monospace; font-size: 12px; fill: rgb(0,0,0); }\n' ..
    '#title { text-anchor: middle; font-size: 17px; }\n' ..
    '#unzoom { cursor: pointer; }\n' ..
    '.f { cursor: pointer; }\n.f:hover rect { stroke: rgb(0,0,0); stroke-width: 0.5; }\n' ..
    '.parent { opacity: 0.5; }\n.hide { display: none; }\n' ..
    '</style>\n')
  put('<script type="text/ecmascript"><![CDATA[' .. SCRIPT .. ']]></script>\n')
  put(string.format('<rect x="0" y="0" width="%d" height="%d" fill="rgb(248,248,248)"/>\n', W, H))
  put(string.format('<text id="title" x="%d" y="24">%s</text>\n', compat.idiv(W, 2),
                    xml(title)))
  put('<text id="unzoom" class="hide" x="10" y="24">Reset Zoom</text>\n')
  put(string.format('<text id="details" x="10" y="%d"> </text>\n', H - 12))
  put('<g id="frames">\n')
  local look = {} -- per kind and name: the escaped name, the colour
  for _, r in ipairs(rows) do
    local n = r.node
    local y = H - BOTTOM - (r.level + 1) * FH
    local name = n.kind == "root" and "all" or n.name
    local byname = look[n.kind] or {}
    look[n.kind] = byname
    local l = byname[name]
    if not l then
      l = { xml(name), colour(name, n.kind) }
      byname[name] = l
    end
    local label = fit(name, r.w)
    put(string.format('<g class="f"><title>%s (%d samples, %.2f%%)</title>' ..
      '<rect x="%.2f" y="%d" width="%.2f" height="%d" rx="2" ry="2" fill="%s"/>' ..
      '<text x="%.2f" y="%d">%s</text></g>\n',
      l[1], n.count, 100 * n.count / total, r.x, y, r.w, FH - 1, l[2], r.x + 3, y + FH - 5,
      label == name and l[1] or xml(label)))
  end
  put('</g>\n</svg>\n')
  return table.concat(out)
end

return fg
