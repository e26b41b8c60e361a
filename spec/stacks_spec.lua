-- User stacks: symbols for processes that exited before their stacks
-- were printed, and stacks of code built without frame pointers unwound
-- through DWARF CFI (bpf.config{ustack = "dwarf"}). Workloads: stacker
-- (frame pointers, close() from known paths) and nofp (main -> level1 ->
-- level2 -> level3 at -O2 -fomit-frame-pointer). Sample counts depend on
-- how much CPU the workload gets on this shared machine: profile specs
-- assert shares of the samples, with a floor.
local H = require "spec.helper"

local function abspath(p) return (H.run("realpath " .. H.quote(p)):gsub("\n$", "")) end

-- "@name[\n    f1\n    f2\n]: N" blocks -> { {frames = {...}, count = N} }
local function stacks(out, name)
  local t = {}
  for body, n in out:gmatch("@" .. name .. "%[\n(.-)\n%]: (%d+)\n") do
    local frames = {}
    for f in body:gmatch("[^\n]+") do frames[#frames + 1] = f:match("^    (.*)$") or f end
    t[#t + 1] = { frames = frames, count = tonumber(n) }
  end
  return t
end

-- Names of the frames, offsets dropped ("level3+36" -> "level3").
local function names(frames, n)
  local t = {}
  for i = 1, math.min(n or #frames, #frames) do t[i] = frames[i]:match("^([^+]+)") end
  return t
end

local function total(list)
  local n = 0
  for _, s in ipairs(list) do n = n + s.count end
  return n
end

local CHAIN = { "level3", "level2", "level1", "main" }

local function has_chain(frames)
  local got = names(frames, 4)
  for i = 1, 4 do
    if got[i] ~= CHAIN[i] then return false end
  end
  return true
end

local function script(text) return H.script('local bpf = require "luabpf"\n' .. text) end

describe("user stacks #kernel", function()
  local nofp, stacker
  setup(function()
    assert.is_true(H.is_root(), "kernel specs run as root")
    nofp = abspath(H.bin .. "nofp")
    stacker = abspath(H.bin .. "stacker")
  end)

  local close_script = [[
local m = bpf.map()
local pid = tonumber(arg[1])
bpf.tracepoint("syscalls:sys_enter_close", function(e)
  if e.pid == pid then m[e.ustack] = bpf.count() end
end)
]]

  it("a process running before the session that exits before the print keeps its symbols", function()
    local w = H.workload(stacker .. " --wait-signal --closes-a 3 --closes-b 2")
    local t = H.tracer(script(close_script), w.wpid)
    H.signal(w, "USR1")
    assert.equal(0, (H.finish(w)))
    local rc, out, err = H.stop(t)
    assert.equal(0, rc, err)
    local got = stacks(out, "m")
    table.sort(got, function(a, b) return a.count < b.count end)
    assert.equal(2, #got, out)
    assert.same({ "stacker_close", "stacker_path_b", "main", "__libc_start_call_main" }, names(got[1].frames))
    assert.equal(2, got[1].count)
    assert.same({ "stacker_close", "stacker_path_a", "main", "__libc_start_call_main" }, names(got[2].frames))
    assert.equal(3, got[2].count)
  end)

  it("a process started during the session and gone at once is symbolized (luabpf -c)", function()
    local path = script([[
local m = bpf.map()
bpf.tracepoint("syscalls:sys_enter_close", function(e) m[e.ustack] = bpf.count() end)
]])
    local rc, out, err = H.run_rc(H.luabpf .. " -c " .. H.quote(stacker .. " --closes-a 4") .. " " .. path)
    assert.equal(0, rc, err)
    local got = {}
    for _, s in ipairs(stacks(out, "m")) do
      if s.frames[1]:match("^stacker_close%+") then got[#got + 1] = s end
    end
    assert.equal(1, #got, out)
    assert.same({ "stacker_close", "stacker_path_a", "main", "__libc_start_call_main" }, names(got[1].frames))
    assert.equal(4, got[1].count)
  end)

  it("-c: a descendant of the command, gone before the print, is symbolized too", function()
    local path = script([[
local m = bpf.map()
bpf.tracepoint("syscalls:sys_enter_close", function(e)
  if e.comm == "stkgrand" then m[e.ustack] = bpf.count() end
end)
]])
    local cmd = "sh -c " .. H.quote(stacker .. " --comm stkgrand --closes-b 3; true")
    local rc, out, err = H.run_rc(H.luabpf .. " -c " .. H.quote(cmd) .. " " .. path)
    assert.equal(0, rc, err)
    local got = stacks(out, "m")
    assert.equal(1, #got, out)
    assert.same({ "stacker_close", "stacker_path_b", "main", "__libc_start_call_main" }, names(got[1].frames))
    assert.equal(3, got[1].count)
  end)

  local profile_script = [[
bpf.config{ustack = arg[1]}
local m = bpf.map()
bpf.profile("99hz", function(e) m[e.ustack] = bpf.count() end)
]]

  it("dwarf: a profile of a program without frame pointers has main -> level1 -> level2 -> level3 in >= 90 % of samples, after it exited", function()
    local rc, out, err = H.run_rc(H.luabpf .. " -c " .. H.quote(nofp .. " --spin 3000") .. " " ..
      script(profile_script) .. " dwarf", 60)
    assert.equal(0, rc, err)
    local got = stacks(out, "m")
    local n, chained = total(got), 0
    for _, s in ipairs(got) do
      if has_chain(s.frames) then chained = chained + s.count end
    end
    assert.is_true(n >= 20, "samples: " .. n .. "\n" .. out)
    assert.is_true(chained >= 0.9 * n, ("%d of %d samples have the chain:\n%s"):format(chained, n, out))
  end)

  it("dwarf: samples in the vDSO (clock_gettime in level3's loop) unwind through it to main", function()
    local rc, out, err = H.run_rc(H.luabpf .. " -c " .. H.quote(nofp .. " --spin 3000 --clock") .. " " ..
      script(profile_script) .. " dwarf", 60)
    assert.equal(0, rc, err)
    local n, chained, above = 0, 0, 0
    for _, s in ipairs(stacks(out, "m")) do
      n = n + s.count
      local f = names(s.frames)
      for i = 1, #f - 3 do
        if f[i] == "level3" and f[i + 1] == "level2" and f[i + 2] == "level1" and f[i + 3] == "main" then
          chained = chained + s.count
          if i > 1 then above = above + s.count end -- in clock_gettime or the vDSO
          break
        end
      end
    end
    assert.is_true(n >= 20, "samples: " .. n .. "\n" .. out)
    assert.is_true(chained >= 0.9 * n, ("%d of %d samples have the chain:\n%s"):format(chained, n, out))
    assert.is_true(above >= 1, out)
  end)

  it("fp: the frame-pointer walk of the same program gives the leaf and no chain (as bpftrace 0.17)", function()
    local rc, out, err = H.run_rc(H.luabpf .. " -c " .. H.quote(nofp .. " --spin 2500") .. " " ..
      script(profile_script) .. " fp", 60)
    assert.equal(0, rc, err)
    local got = stacks(out, "m")
    local n, chained, leaf = total(got), 0, 0
    for _, s in ipairs(got) do
      if has_chain(s.frames) then chained = chained + s.count end
      if s.frames[1]:match("^level3%+") then leaf = leaf + s.count end
    end
    assert.is_true(n >= 20, out)
    assert.is_true(leaf >= 0.9 * n, out)
    assert.equal(0, chained)
  end)

  it("bpftrace 0.17 on the same program: no chain, and bare addresses once it exited", function()
    if os.execute("command -v bpftrace >/dev/null 2>&1") ~= true then return end
    local rc, out, err = H.run_rc("bpftrace -e " ..
      H.quote("profile:hz:99 /pid == cpid/ { @[ustack] = count(); }") .. " -c " ..
      H.quote(nofp .. " --spin 1500"), 60)
    assert.equal(0, rc, err)
    local got = stacks(out, "")
    assert.is_true(total(got) >= 20, out)
    for _, s in ipairs(got) do
      assert.is_false(has_chain(s.frames))
      assert.truthy(s.frames[1]:match("^0x%x+$"), out) -- not symbolized
    end
  end)

  -- (200 us apart: each call sends ~6 KiB of stack, and calls as fast as
  -- the CPU goes fill the 2 MiB ring buffer faster than user space unwinds)
  it("dwarf: a uprobe on level3, called exactly 500 times by a program that then exits, has one stack of count 500", function()
    local path = script(([[
bpf.config{ustack = "dwarf"}
local m = bpf.map()
local l = bpf.map()
bpf.uprobe(%q, function(e)
  m[e.ustack] = bpf.count()
  local s = e.ustack -- a local holding it
  l[s] = bpf.count()
end)
]]):format(nofp .. ":level3"))
    local rc, out, err = H.run_rc(H.luabpf .. " -c " .. H.quote(nofp .. " --calls 500 --gap-us 200") .. " " .. path, 60)
    assert.equal(0, rc, err)
    for _, name in ipairs { "m", "l" } do
      local got = stacks(out, name)
      assert.equal(1, #got, out)
      assert.equal(500, got[1].count)
      assert.equal("level3+0", got[1].frames[1])
      assert.same(CHAIN, names(got[1].frames, 4))
    end
  end)

  it("dwarf gives the frame-pointer walk's frames for code with frame pointers, and goes on through libc; tuple keys and bpf.sum work", function()
    local path = script([[
local pid = tonumber(arg[1])
bpf.config{ustack = "fp"}
local fp = bpf.map()
bpf.tracepoint("syscalls:sys_enter_close", function(e)
  if e.pid == pid then fp[e.ustack] = bpf.count() end
end)
bpf.config{ustack = "dwarf"}
local dw, dt = bpf.map(), bpf.map()
bpf.tracepoint("syscalls:sys_enter_close", function(e)
  if e.pid == pid then
    dw[e.ustack] = bpf.count()
    dt[{e.comm, bpf.ustack(2)}] = bpf.sum(10)
  end
end)
]])
    local w = H.workload(stacker .. " --wait-signal --closes-a 3 --closes-b 2 --comm stkdw")
    local t = H.tracer(path, w.wpid)
    H.signal(w, "USR1")
    assert.equal(0, (H.finish(w)))
    local rc, out, err = H.stop(t)
    assert.equal(0, rc, err)
    local fpt, dwt = stacks(out, "fp"), stacks(out, "dw")
    assert.equal(2, #fpt, out)
    assert.equal(2, #dwt, out)
    -- the same frames, and DWARF goes on through libc (built without
    -- frame pointers) to _start where the frame-pointer walk stops
    table.sort(fpt, function(a, b) return a.count < b.count end)
    table.sort(dwt, function(a, b) return a.count < b.count end)
    for i = 1, 2 do
      assert.equal(fpt[i].count, dwt[i].count)
      assert.same(fpt[i].frames, { table.unpack(dwt[i].frames, 1, #fpt[i].frames) })
      assert.equal("_start", names(dwt[i].frames)[#dwt[i].frames])
    end
    -- bpf.ustack(2) keeps two frames, in a tuple with the comm
    local rows = {}
    for key, v in out:gmatch("@dt%[stkdw, \n(.-)\n%]: (%d+)\n") do rows[#rows + 1] = { key, tonumber(v) } end
    table.sort(rows, function(a, b) return a[2] < b[2] end)
    assert.equal(2, #rows, out)
    assert.equal(20, rows[1][2])
    assert.equal(30, rows[2][2])
    assert.same({ "stacker_close", "stacker_path_a" }, names(H.lines((rows[2][1]:gsub("    ", "")) .. "\n")))
  end)

  it("dwarf: printf of a stack, one record per call, in bpftrace's layout", function()
    local path = script(([[
bpf.config{ustack = "dwarf"}
bpf.uprobe(%q, function(e) bpf.printf("hit %%s%%s\n", e.comm, bpf.ustack(4)) end)
]]):format(nofp .. ":level3"))
    local rc, out, err = H.run_rc(H.luabpf .. " -c " .. H.quote(nofp .. " --calls 5 --gap-us 1000") ..
      " " .. path, 60)
    assert.equal(0, rc, err)
    local n = 0
    for block in out:gmatch("hit nofp(\n.-\n)\n") do
      n = n + 1
      assert.truthy(block:match("^\n        level3%+0\n        level2%+%d+\n        level1%+%d+\n        main%+%d+\n$"), block)
    end
    assert.equal(5, n, out)
  end)

  it("dwarf stacks key count and sum, or are printed: other uses are compile errors that say so", function()
    for _, body in ipairs {
      'bpf.profile("99hz", function(e) bpf.printf("%s%s", e.ustack, e.ustack) end)',
      'local m = bpf.map() bpf.profile("99hz", function(e) m[e.ustack] = bpf.hist(e.pid) end)',
      'local m = bpf.map() bpf.profile("99hz", function(e) m[e.ustack] = e.pid end)',
    } do
      local rc, out = H.luabpf_output(H.quote(script('bpf.config{ustack = "dwarf"}\n' .. body)))
      assert.equal(1, rc, out)
      assert.truthy(out:find("DWARF-unwound user stack", 1, true), out)
    end
    local rc, out = H.luabpf_output(H.quote(script('bpf.config{ustack = "lbr"}')))
    assert.equal(1, rc)
    assert.truthy(out:find('ustack must be "fp" (frame pointers, the default) or "dwarf"', 1, true), out)
  end)
end)
