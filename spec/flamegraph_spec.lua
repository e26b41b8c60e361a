-- Folded stacks and SVG flame graphs: `luabpf -f folded`, `luabpf
-- --flamegraph FILE.svg`, bpf.maps.folded(m) and bpf.maps.flamegraph(m)
-- on real stacks of a workload of known calls; the SVG parsed by xmllint
-- and drawn, hovered, zoomed and reset in headless Chromium.
local H = require "spec.helper"
local fg = require "luabpf.flamegraph"

local A, B = 30, 12 -- stacker's close() calls through stacker_path_a, _b
local ROOT = "__libc_start_call_main;main;" -- what calls stacker's paths (libc6-dbg names it)

-- A script on stacker's close() calls, given its pid as arg[1].
local STACKS = [[
local bpf = require "luabpf"
local pid = tonumber(arg[1])
local stacks = bpf.map()
bpf.tracepoint("syscalls:sys_enter_close", function(e)
  if e.pid == pid then stacks[e.ustack] = bpf.count() end
end)
]]

-- Run luabpf (options opts, then the script with the workload's pid) on
-- stacker --hold; returns rc, stdout, stderr once the tracer has ended.
local function traced(opts, script)
  local comm = H.comm("lbfg")
  local w = H.workload(H.bin .. "stacker --wait-signal --hold --closes-a " .. A ..
                       " --closes-b " .. B .. " --comm " .. comm)
  local path = H.script(script)
  local t = H.spawn(H.luabpf .. " " .. opts .. " " .. path .. " " .. w.wpid)
  local ok, err = pcall(function()
    H.wait_for(t, opts:find("-f folded", 1, true) and "err" or "out", "Attaching %d+ probes?%.%.%.")
    H.signal(w, "USR1")
    H.wait_for(w, "out", "done\n")
  end)
  H.signal(t, "INT")
  local rc, out, terr = H.finish(t)
  H.signal(w, ok and "USR1" or "KILL") -- the workload goes, whatever the tracer did
  H.finish(w)
  os.remove(path)
  assert(ok, err)
  return rc, out, terr, comm
end

local function xmllint(path)
  local f = io.popen("xmllint --noout " .. H.quote(path) .. " 2>&1; echo rc=$?")
  local out = f:read("a")
  f:close()
  return out
end

-- Load svg in headless Chromium inside a page that reports, for every
-- frame (<g> in #frames): its name, width, whether it is displayed and
-- whether the point at its centre hits it (it is drawn there, on top);
-- then hovers the frame named `target`, clicks it (zoom), and clicks
-- "Reset Zoom", reporting the frames after each step.
local HARNESS = [[<!DOCTYPE html><html><body><pre id="out">not loaded</pre>
<iframe id="f" src="flame.svg" width="1300" height="700" style="border: 0"></iframe>
<script>
document.getElementById("f").onload = function () {
  var out = [], d = this.contentDocument, win = this.contentWindow;
  function frames(step) {
    var gs = d.querySelectorAll("#frames > g");
    for (var i = 0; i < gs.length; i++) {
      var g = gs[i], r = g.querySelector("rect"), b = r.getBBox();
      var shown = win.getComputedStyle(g).display !== "none";
      var hit = shown && b.width > 0 &&
        d.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);
      var mine = !!hit && hit.closest("g") === g;
      out.push([step, g.querySelector("title").textContent, b.width.toFixed(2),
                shown ? "shown" : "hidden", mine ? "hit" : "miss",
                g.querySelector("text").textContent].join("\t"));
    }
  }
  function find(name) {
    var gs = d.querySelectorAll("#frames > g");
    for (var i = 0; i < gs.length; i++)
      if (gs[i].querySelector("title").textContent.indexOf(name + " (") === 0) return gs[i];
  }
  try {
    frames("drawn");
    var g = find("TARGET");
    g.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
    out.push("details\t" + d.getElementById("details").textContent);
    out.push("zoomable\t" + win.getComputedStyle(d.getElementById("unzoom")).display);
    g.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    frames("zoomed");
    out.push("unzoom\t" + win.getComputedStyle(d.getElementById("unzoom")).display);
    d.getElementById("unzoom").dispatchEvent(new MouseEvent("click", { bubbles: true }));
    frames("reset");
  } catch (e) { out.push("error\t" + e); }
  document.getElementById("out").textContent = out.join("\n");
};
</script></body></html>
]]

local function chromium(svg, target)
  local dir = H.tmpdir()
  local f = assert(io.open(dir .. "/flame.svg", "w"))
  f:write(svg)
  f:close()
  f = assert(io.open(dir .. "/harness.html", "w"))
  f:write((HARNESS:gsub("TARGET", target)))
  f:close()
  local dom = H.run("timeout 120 chromium --headless --no-sandbox --disable-gpu " ..
    "--user-data-dir=" .. dir .. "/profile --allow-file-access-from-files " ..
    "--window-size=1400,900 --dump-dom file://" .. dir .. "/harness.html 2>/dev/null")
  os.execute("rm -rf " .. H.quote(dir))
  local text = dom:match('<pre id="out">(.-)</pre>')
  assert.is_truthy(text, dom)
  local steps = { drawn = {}, zoomed = {}, reset = {} }
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local f1, rest = line:match("^(%w+)\t(.*)$")
    if steps[f1] then
      local title, w, shown, hit, label = rest:match("^(.-)\t(.-)\t(.-)\t(.-)\t(.*)$")
      table.insert(steps[f1], { title = title, width = tonumber(w), shown = shown == "shown",
                                hit = hit == "hit", label = label })
    elseif f1 then
      steps[f1] = rest
    end
  end
  assert.is_nil(steps.error)
  return steps
end

-- `luabpf -f folded` on fanout (its options fargs) counting getppid by
-- `key` (a Lua expression of e); returns rc, stdout, stderr and the
-- workload's pid once both have ended.
local function fanout_folded(fargs, key)
  local w = H.workload(H.bin .. "fanout --wait-signal --hold " .. fargs)
  local path = H.script(([[
local bpf = require "luabpf"
local pid = tonumber(arg[1])
local m = bpf.map()
bpf.tracepoint("syscalls:sys_enter_getppid", function(e)
  if e.pid == pid then m[%s] = bpf.count() end
end)
]]):format(key))
  local t = H.spawn(H.luabpf .. " -f folded " .. path .. " " .. w.wpid)
  local ok, werr = pcall(function()
    H.wait_for(t, "err", "Attaching")
    H.signal(w, "USR1")
    H.wait_for(w, "out", "done\n")
  end)
  H.signal(t, "INT")
  local rc, out, err = H.finish(t)
  H.signal(w, ok and "USR1" or "KILL") -- the workload goes, whatever the tracer did
  H.finish(w)
  os.remove(path)
  assert(ok, werr)
  return rc, out, err, w.wpid
end

describe("folded stacks and flame graphs #kernel", function()
  it("luabpf -f folded prints root;...;leaf count lines, everything else on stderr", function()
    local rc, out, err, comm = traced("-f folded", STACKS .. [[
local both, calls = bpf.map(), bpf.map()
bpf.tracepoint("syscalls:sys_enter_close", function(e)
  if e.pid == pid then
    both[{e.comm, e.kstack, e.ustack}] = bpf.count()
    calls[e.comm] = bpf.count()
    bpf.printf("close %d\n", e.args.fd)
  end
end)
bpf.END(function() bpf.printf("ended\n") end)
]])
    assert.are.equal(0, rc, err)
    local lines = H.lines(out)
    -- @both first (maps print by name): comm, then the user stack, then
    -- the kernel's (which runs on top of it)
    assert.are.equal(4, #lines, out)
    local kern_a = lines[1]:match("^" .. comm .. ";" .. ROOT .. "stacker_path_a;stacker_close;(.+) " .. A .. "$")
    local kern_b = lines[2]:match("^" .. comm .. ";" .. ROOT .. "stacker_path_b;stacker_close;(.+) " .. B .. "$")
    assert.is_truthy(kern_a, lines[1])
    assert.are.equal(kern_a, kern_b)
    assert.is_truthy(kern_a:match(";perf_syscall_enter$"), kern_a) -- the leaf: the tracepoint
    assert.are.same({ ROOT .. "stacker_path_a;stacker_close " .. A,
                      ROOT .. "stacker_path_b;stacker_close " .. B }, { lines[3], lines[4] })
    -- the map without a stack, printf and the rest: bpftrace's text on stderr
    assert.is_truthy(err:find("^Attaching 3 probes...\n"), err)
    local _, printed = err:gsub("close 4294967295\n", "") -- close(-1): an unsigned int fd
    assert.are.equal(A + B, printed)
    assert.is_truthy(err:find("ended\n\n\n@calls[" .. comm .. "]: " .. (A + B) .. "\n", 1, true), err)
  end)

  it("folds {tid, ustack} keys: the thread leads, each call path once", function()
    -- fanout: 2 threads x 16 calls; call i goes down through fan_a where
    -- bit j of i is set, fan_b elsewhere (3 levels): 8 paths, 2 calls each
    local rc, out, err, wpid = fanout_folded("--threads 2 --depth 3 --calls 16", "{e.tid, e.ustack}")
    assert.are.equal(0, rc, err)
    local want, tids = {}, {}
    for line in out:gmatch("[^\n]+") do
      local tid, rest = line:match("^(%d+);(.*)$")
      assert.is_truthy(tid, line)
      assert.are_not.equal(wpid, tonumber(tid)) -- a thread, not main
      tids[tid] = (tids[tid] or 0) + 1
      want[#want + 1] = rest
    end
    local n = 0
    for _, c in pairs(tids) do n = n + 1; assert.are.equal(8, c) end
    assert.are.equal(2, n)
    local paths = {}
    for i = 0, 7 do
      local f = { "start_thread", "fanout_thread" }
      for j = 0, 2 do f[#f + 1] = (i >> j) & 1 == 1 and "fan_a" or "fan_b" end
      f[#f + 1] = "fan_leaf 2"
      paths[#paths + 1] = table.concat(f, ";")
      paths[#paths + 1] = paths[#paths]
    end
    table.sort(paths)
    table.sort(want)
    assert.are.same(paths, want)
  end)

  it("keeps colliding stacks: 1,024 distinct call paths, a second stack map takes the refused", function()
    -- a kernel stack map refuses a stack whose bucket another holds; with
    -- one 4096-entry map ~110 of 1,024 paths came out as [unknown], with
    -- the second chance ~1 % (both buckets taken). Every call is counted.
    local rc, out, err = fanout_folded("--threads 1 --depth 10 --calls 1024", "e.ustack")
    assert.are.equal(0, rc, err)
    local calls, lost, paths = 0, 0, 0
    for line in out:gmatch("[^\n]+") do
      local stack, n = line:match("^(.*) (%d+)$")
      calls = calls + tonumber(n)
      if stack == "[unknown]" then lost = tonumber(n) else paths = paths + 1; assert.are.equal("1", n, line) end
    end
    assert.are.equal(1024, calls)
    assert.are.equal(1024, paths + lost)
    assert.is_true(lost <= 40, lost .. " of 1024 stacks lost")
  end)

  it("bpf.maps.folded(m) and bpf.maps.flamegraph(m) give the same to Lua", function()
    local dir = H.tmpdir()
    local rc, out, err = traced("", STACKS .. ([[
bpf.END(function()
  local f = io.open(%q, "w") f:write(bpf.maps.folded(stacks)) f:close()
  f = io.open(%q, "w") f:write(bpf.maps.flamegraph(stacks, { title = "close() <by> \"stack\" & co" })) f:close()
  f = io.open(%q, "w") f:write(bpf.maps.flamegraph(stacks)) f:close()
end)
]]):format(dir .. "/folded", dir .. "/flame.svg", dir .. "/default.svg"))
    assert.are.equal(0, rc, err)
    assert.are.equal(ROOT .. "stacker_path_a;stacker_close " .. A .. "\n" ..
                     ROOT .. "stacker_path_b;stacker_close " .. B .. "\n", H.slurp(dir .. "/folded"))
    assert.is_truthy(out:find("@stacks[\n    stacker_close+", 1, true), out) -- the text as ever
    assert.are.equal("rc=0\n", xmllint(dir .. "/flame.svg"))
    local svg = H.slurp(dir .. "/flame.svg")
    assert.is_truthy(svg:find(">close() &lt;by&gt; &quot;stack&quot; &amp; co</text>", 1, true))
    svg = H.slurp(dir .. "/default.svg")
    assert.are.equal("rc=0\n", xmllint(dir .. "/default.svg"))
    assert.is_truthy(svg:find(">Flame Graph: @stacks</text>", 1, true))
    os.execute("rm -rf " .. H.quote(dir))
  end)

  it("--flamegraph writes an SVG that Chromium draws, hovers, zooms and resets", function()
    local dir = H.tmpdir()
    local svgpath = dir .. "/out.svg"
    local rc, out, err = traced("--flamegraph " .. svgpath, STACKS)
    assert.are.equal(0, rc, err)
    assert.is_truthy(out:find("]: " .. A .. "\n", 1, true), out) -- stdout: the text as ever
    assert.are.equal("rc=0\n", xmllint(svgpath))
    local svg = H.slurp(svgpath)
    os.execute("rm -rf " .. H.quote(dir))
    assert.is_nil(svg:find("https?://[^\"]*%.js")) -- nothing to fetch
    assert.is_nil(svg:find("<script[^>]* src=")) -- nothing to fetch
    assert.is_truthy(svg:find("<title>", 1, true))

    local total = A + B
    local function pct(n) return string.format("%.2f", 100 * n / total) end
    local s = chromium(svg, "stacker_path_a")
    -- every distinct frame is drawn, once, where it is: all, libc's
    -- caller of main, main, both paths, stacker_close above each
    local want = {
      "all (" .. total .. " samples, 100.00%)",
      "__libc_start_call_main (" .. total .. " samples, 100.00%)",
      "main (" .. total .. " samples, 100.00%)",
      "stacker_path_a (" .. A .. " samples, " .. pct(A) .. "%)",
      "stacker_close (" .. A .. " samples, " .. pct(A) .. "%)",
      "stacker_path_b (" .. B .. " samples, " .. pct(B) .. "%)",
      "stacker_close (" .. B .. " samples, " .. pct(B) .. "%)",
    }
    local titles, widths = {}, {}
    for i, f in ipairs(s.drawn) do
      titles[i], widths[f.title] = f.title, f.width
      assert.is_true(f.shown and f.hit and f.width > 0, f.title)
      assert.are.equal(f.title:match("^(%S+)"), f.label) -- wide enough for its name
    end
    assert.are.same(want, titles)
    -- widths in proportion to the counts, over 1200 - 2 * 10 pixels
    assert.are.equal(1180, math.floor(widths[want[1]] + 0.5))
    assert.are.equal(math.floor(1180 * A / total + 0.5), math.floor(widths[want[4]] + 0.5))
    assert.are.equal(math.floor(1180 * B / total + 0.5), math.floor(widths[want[6]] + 0.5))
    assert.are.equal(want[4], s.details) -- hover: name, count and share
    -- zoomed on stacker_path_a: it and what it calls fill the width, its
    -- callers stay (full width), stacker_path_b and its callee are hidden
    local z = {}
    for _, f in ipairs(s.zoomed) do z[f.title] = f end
    for i = 1, 5 do
      assert.is_true(z[want[i]].shown, want[i])
      assert.are.equal(1180, math.floor(z[want[i]].width + 0.5), want[i])
    end
    assert.is_true(z[want[4]].hit and z[want[5]].hit)
    assert.is_false(z[want[6]].shown)
    assert.is_false(z[want[7]].shown)
    assert.are.equal("none", s.zoomable) -- "Reset Zoom" appears once zoomed
    assert.are_not.equal("none", s.unzoom)
    for i, f in ipairs(s.reset) do
      assert.are.equal(s.drawn[i].width, f.width)
      assert.is_true(f.shown and f.hit, f.title)
    end
  end)
end)

describe("flame graph text", function()
  local function stack(count, ...)
    return { frames = { ... }, count = count }
  end

  it("escapes names for XML, keeps UTF-8 whole and replaces invalid bytes", function()
    local names = { "a<b>&\"c'", "caf\xc3\xa9", "bad\xff\xfe", "ctl\1x", ("x"):rep(300) }
    local svg = fg.svg({ stack(3, names[1], names[2]), stack(2, names[3], names[4], names[5]) },
                       { title = "<t>" })
    local path = os.tmpname()
    local f = io.open(path, "w")
    f:write(svg)
    f:close()
    assert.are.equal("rc=0\n", xmllint(path))
    os.remove(path)
    assert.is_truthy(svg:find("<title>a&lt;b&gt;&amp;&quot;c&apos; (3 samples, 60.00%)</title>", 1, true))
    assert.is_truthy(svg:find("<title>caf\xc3\xa9 (3 samples", 1, true))
    assert.is_truthy(svg:find("<title>bad?? (2 samples", 1, true))
    assert.is_truthy(svg:find("<title>ctl?x (2 samples", 1, true))
  end)

  it("merges paths in any order; one name of two kinds is two frames", function()
    local titles = {}
    local svg = fg.svg({ stack(2, "a", "b"), stack(1, "a", "c"), stack(3, "a", "b"),
                         { frames = { "x", "y" }, kinds = { "key", "user" }, count = 4 },
                         { frames = { "x", "y" }, kinds = { "user", "user" }, count = 5 } })
    for t in svg:gmatch("<title>(.-)</title>") do titles[#titles + 1] = t end
    assert.are.same({ "all (15 samples, 100.00%)",
                      "a (6 samples, 40.00%)", "b (5 samples, 33.33%)", "c (1 samples, 6.67%)",
                      "x (4 samples, 26.67%)", "y (4 samples, 26.67%)",
                      "x (5 samples, 33.33%)", "y (5 samples, 33.33%)" }, titles)
  end)

  it("--flamegraph's consumer draws several maps, each under its name", function()
    local stream = require "luabpf.stream"
    local function view(name, rows)
      return { name = function() return name end, kind = function() return "sum" end,
               key_types = function() return { "ustack" } end,
               entries = function() return rows end }
    end
    local text = {}
    local out = { write = function(_, str) text[#text + 1] = str end, flush = function() end }
    local c = stream.flamegraph(out)
    c { type = "map", map = view("early", { { { "x" }, 9 } }) } -- not the end's: left out
    c { type = "end" }
    c { type = "map", final = true, map = view("a", { { { "leaf", "main" }, 3 } }) }
    c { type = "map", final = true, map = view("b", { { { "main" }, 1 } }) }
    assert.are.same({}, text) -- written once the maps are out
    c { type = "flush" }
    local svg = table.concat(text)
    local titles = {}
    for t in svg:gmatch("<title>(.-)</title>") do titles[#titles + 1] = t end
    assert.are.same({ "all (4 samples, 100.00%)", "@a (3 samples, 75.00%)",
                      "main (3 samples, 75.00%)", "leaf (3 samples, 75.00%)",
                      "@b (1 samples, 25.00%)", "main (1 samples, 25.00%)" }, titles)
    assert.is_truthy(svg:find(">Flame Graph: @a, @b</text>", 1, true))
  end)

  it("folds lists of stacks; narrow frames are left out of the SVG", function()
    local list = { stack(5, "main", "a"), stack(1, "main", "b") }
    assert.are.equal("main;a 5\nmain;b 1\n", fg.folded(list))
    assert.are.equal("main;a 5\n", fg.folded(list, 1)) -- print(m, top)
    local svg = fg.svg(list, { width = 100, minwidth = 20 }) -- b: 80 / 6 px
    local _, n = svg:gsub('<g class="f">', "")
    assert.are.equal(3, n) -- all, main, a
    assert.is_nil(svg:find("<title>b ", 1, true))
  end)
end)
