-- Stack modes as bpftrace has them: kstack(perf), ustack(perf, 2) and
-- the default layout, compared byte for byte with bpftrace 0.17 tracing
-- the same process at the same time (so the addresses are the same);
-- raw (addresses only, bpftrace 0.18's layout: 0.17 has no raw mode).
local H = require "spec.helper"

local function have_bpftrace()
  return os.execute("command -v bpftrace >/dev/null 2>&1") == true
end

-- stacker --hold: A close(-1) calls through stacker_path_a, B through
-- stacker_path_b, then it waits (its mappings stay readable) until the
-- tracers have printed their maps.
local A, B = 3, 2

-- Run each tracer command of cmds on one stacker process whose pid they
-- get as PID; returns their stdouts (after "Attaching N probes...").
local function trace_together(cmds)
  local comm = H.comm("lbm")
  local w = H.workload(H.bin .. "stacker --wait-signal --hold --closes-a " .. A ..
                       " --closes-b " .. B .. " --comm " .. comm)
  local ts, outs, fails = {}, {}, {}
  local ok, err = pcall(function()
    for i, c in ipairs(cmds) do
      ts[i] = H.spawn((c:gsub("PID", tostring(w.wpid))))
      H.wait_for(ts[i], "out", "Attaching %d+ probes?%.%.%.")
    end
    H.sleep(1.5) -- bpftrace says "Attaching" before it has attached
    H.signal(w, "USR1")
    H.wait_for(w, "out", "done\n")
    H.sleep(1) -- bpftrace prints the records it has read, without draining, at exit
  end)
  for i, t in ipairs(ts) do
    H.signal(t, "TERM")
    local rc, out, terr = H.finish(t)
    if rc ~= 0 then fails[#fails + 1] = terr end
    outs[i] = out
  end
  H.signal(w, ok and "USR1" or "KILL") -- the workload goes, whatever the tracers did
  H.finish(w)
  assert(ok, err)
  assert.are.same({}, fails)
  return outs
end

local BT = [[t:syscalls:sys_enter_close /pid == PID/ {
  @a[ustack(perf)] = count(); @c[ustack(perf, 2)] = count(); @d[kstack(perf)] = count();
  @e[kstack(bpftrace, 3)] = count(); @f[ustack] = count(); @g[comm, ustack(perf, 3)] = count();
  printf("%s|", ustack(perf, 2)); printf("%s|\n", kstack(perf, 2)); }]]

local LB = [[
local bpf = require "luabpf"
local pid = tonumber(arg[1])
local a, c, d, e, f, g = bpf.map "a", bpf.map "c", bpf.map "d", bpf.map "e", bpf.map "f", bpf.map "g"
local perf = "perf"
bpf.tracepoint("syscalls:sys_enter_close", function(ev)
  if ev.pid == pid then
    a[bpf.ustack("perf")] = bpf.count()
    c[bpf.ustack("perf", 2)] = bpf.count()
    d[bpf.kstack(perf)] = bpf.count()
    e[bpf.kstack("bpftrace", 3)] = bpf.count()
    f[ev.ustack] = bpf.count()
    g[{ev.comm, bpf.ustack("perf", 3)}] = bpf.count()
    bpf.printf("%s|", bpf.ustack("perf", 2))
    bpf.printf("%s|\n", bpf.kstack("perf", 2))
  end
end)
]]

describe("stack modes #kernel", function()
  it("perf and bpftrace layouts print exactly as bpftrace 0.17's, in map keys and printf", function()
    if not have_bpftrace() then return pending("bpftrace is not installed") end
    local script = H.script(LB)
    local outs = trace_together {
      "bpftrace -e " .. H.quote(BT),
      H.luabpf .. " " .. script .. " PID",
    }
    os.remove(script)
    local want, got = outs[1], outs[2]
    -- what the workload did is all there: A + B printf pairs, then the maps
    local _, pairs_ = got:gsub("|\n", "")
    assert.are.equal(A + B, pairs_ / 2)
    assert.is_truthy(got:find("@a%[\n\t%x+ stacker_close%+%d+ %(/[^\n]*/stacker%)\n"), got)
    assert.is_truthy(got:find("\t%x+ stacker_path_a%+%d+ %(/[^\n]*/stacker%)\n[^@]*%]: 3\n"), got)
    assert.is_truthy(got:find("@e%[\n    [%w_]+%+%d+\n    [%w_]+%+%d+\n    [%w_]+%+%d+\n%]: 5\n"),
                     got)
    assert.are.equal(want, got)
  end)

  it("raw prints the addresses alone, the same ones perf shows", function()
    local script = H.script([[
local bpf = require "luabpf"
local pid = tonumber(arg[1])
local p, r = bpf.map "p", bpf.map "r"
bpf.tracepoint("syscalls:sys_enter_close", function(ev)
  if ev.pid == pid then
    p[{bpf.ustack("perf"), bpf.kstack("perf", 4)}] = bpf.count()
    r[{bpf.ustack("raw"), bpf.kstack("raw", 4)}] = bpf.count()
    bpf.printf("%s|", bpf.ustack("raw", 2))
  end
end)
]])
    local out = trace_together { H.luabpf .. " " .. script .. " PID" } [1]
    os.remove(script)
    local printed, maps = out:match("^(.*|)\n\n(@.*)$")
    -- printf: "\n" then one "hex\n" per frame, no indent
    local one = "\n%x+\n%x+\n|"
    assert.is_truthy(printed:match("^" .. one:rep(A + B) .. "$"), printed)
    local function stacks(name)
      local t = {}
      for body, n in maps:gmatch("@" .. name .. "%[(.-)%]: (%d+)\n") do t[tonumber(n)] = body end
      return t
    end
    local p, r = stacks("p"), stacks("r")
    for _, n in ipairs { A, B } do
      assert.is_truthy(p[n] and r[n], maps)
      local addrs = {}
      for hex in p[n]:gmatch("\t(%x+) [^\n]*\n") do addrs[#addrs + 1] = hex end
      assert.is_true(#addrs >= 4 + 3, p[n]) -- kernel 4, user: close, path, main...
      -- the raw key: the same addresses, one per line, no symbols
      assert.are.equal("\n" .. table.concat(addrs, "\n", 1, #addrs - 4) .. "\n, \n" ..
                       table.concat(addrs, "\n", #addrs - 3) .. "\n", r[n])
    end
  end)

  it("folded stacks of a perf-mode map name the functions", function()
    local path = os.tmpname()
    local script = H.script(([[
local bpf = require "luabpf"
local pid = tonumber(arg[1])
local p = bpf.map "p"
bpf.tracepoint("syscalls:sys_enter_close", function(ev)
  if ev.pid == pid then p[bpf.ustack("perf", 3)] = bpf.count() end
end)
bpf.END(function() local f = io.open(%q, "w") f:write(bpf.maps.folded(p)) f:close() end)
]]):format(path))
    trace_together { H.luabpf .. " " .. script .. " PID" }
    os.remove(script)
    assert.are.equal("main;stacker_path_a;stacker_close " .. A .. "\n" ..
                     "main;stacker_path_b;stacker_close " .. B .. "\n", H.slurp(path))
    os.remove(path)
  end)

  it("refuses an unknown mode and a map keyed by stacks of two modes", function()
    local rc, out = H.luabpf_output("-e " .. H.quote([[
local m = map()
tracepoint("syscalls:sys_enter_close", function(e) m[ustack("fast")] = count() end)]]))
    assert.are.equal(1, rc)
    assert.is_truthy(out:find('bpf.ustack() takes a stack mode, "bpftrace", "perf" or "raw"', 1,
                              true), out)
    rc, out = H.luabpf_output("-e " .. H.quote([[
local m = map()
tracepoint("syscalls:sys_enter_close", function(e) m[kstack("perf")] = count() end)
tracepoint("syscalls:sys_enter_dup", function(e) m[e.kstack] = count() end)]]))
    assert.are.equal(1, rc)
    assert.is_truthy(out:find("map 'm' is keyed by (kstack) here but by (kstack(perf)) elsewhere",
                              1, true), out)
    rc, out = H.luabpf_output("-e " .. H.quote([[
local m = map()
tracepoint("syscalls:sys_enter_close", function(e) m[ustack("raw", 0)] = count() end)]]))
    assert.are.equal(1, rc)
    assert.is_truthy(out:find("takes a frame count, an integer constant from 1 to 127", 1, true),
                     out)
  end)
end)
