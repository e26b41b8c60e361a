-- Lab part 1, the measuring exercises (1.5a-d, 1.6, 1.7), against
-- workloads of known behaviour.
local H = require "spec.helper"

-- Start stacker waiting for SIGUSR1; trace it with a script given its tid.
local function traced_stacker(script, opts)
  local comm = H.comm("lbs")
  local w = H.workload(H.bin .. "stacker --wait-signal --comm " .. comm .. " " .. opts)
  local t = H.tracer(script, tostring(w.wpid))
  H.signal(w, "USR1")
  assert.are.equal(0, (H.finish(w)))
  local rc, out = H.stop(t)
  assert.are.equal(0, rc)
  return out, comm
end

-- Histogram lines "[lo, hi)  count |@@@|" of the map printed as "@name[key]:".
local function hist_counts(out, header)
  local start = out:find(header, 1, true)
  assert.is_truthy(start, "no " .. header .. " in:\n" .. out)
  local total, rows = 0, {}
  for line in out:sub(start):gmatch("\n([^\n]*)") do
    local label, n = line:match("^([%[%(][^%]%)]*[%]%)])%s+(%d+) |")
    if not label then break end
    total = total + tonumber(n)
    if tonumber(n) > 0 then rows[#rows + 1] = label end
  end
  return total, rows
end

-- "[4K, 8K)" -> 4096, 8192; "[1]" -> 1, 2; "[8M, ...)" -> 8M, huge
local function bounds(label)
  local function num(s)
    local n, unit = s:match("^(%d+)(%a?)$")
    return tonumber(n) * ({ [""] = 1, K = 1024, M = 1024 ^ 2, G = 1024 ^ 3 })[unit]
  end
  local a, b = label:match("^%[(%w+), (%w+)%)$")
  if a then return num(a), num(b) end
  a = label:match("^%[(%w+)%]$")
  if a then return num(a), num(a) + 1 end
  a = label:match("^%[(%w+), %.%.%.%)$")
  return num(a), math.huge
end

describe("lab 1.5-1.7: measuring handlers #kernel", function()
  it("1.5a write_time.lua prints one duration per write of the thread", function()
    local out = traced_stacker("scripts/write_time.lua", "--writes 25")
    local n = 0
    for d in out:gmatch("time taken for write: (%d+)\n") do
      n = n + 1
      assert.is_true(tonumber(d) > 0)
    end
    assert.are.equal(25, n)
  end)

  it("1.5b write_hist.lua histograms every write of the thread", function()
    local out = traced_stacker("scripts/write_hist.lua", "--writes 40")
    local total = hist_counts(out, "@h[tracepoint:syscalls:sys_exit_write]:")
    assert.are.equal(40, total)
  end)

  it("1.5c write_minmax.lua: min <= every bucket <= max", function()
    local out = traced_stacker("scripts/write_minmax.lua", "--writes 40 --sleep-us 100")
    local total, rows = hist_counts(out, "@h[tracepoint:syscalls:sys_exit_write]:")
    assert.are.equal(40, total)
    local maps = H.parse_maps(out)
    local mx = maps.maxwrite["tracepoint:syscalls:sys_exit_write"]
    local mn = maps.minwrite["tracepoint:syscalls:sys_exit_write"]
    assert.is_true(0 < mn and mn <= mx)
    local lo = bounds(rows[1])
    local _, hi = bounds(rows[#rows])
    assert.is_true(lo <= mn and mx < hi, string.format("[%s..%s] vs %d..%d", rows[1], rows[#rows], mn, mx))
  end)

  it("1.5d write_maxstack.lua prints the user stack on each new maximum", function()
    local out = traced_stacker("scripts/write_maxstack.lua", "--writes 30 --sleep-us 200")
    local hits = 0
    for d, stack in out:gmatch("New max value hit: (%d+) nsecs\n(.-)\n\n") do
      hits = hits + 1
      assert.is_truthy(stack:find("stacker_write+", 1, true), stack)
      assert.is_truthy(stack:find("stacker_path_w+", 1, true), stack)
      assert.is_truthy(stack:find("main+", 1, true), stack)
    end
    assert.is_true(hits >= 1 and hits <= 30)
  end)

  it("1.6 oncpu_nonroot.lua counts a busy non-root thread at 100 Hz", function()
    local comm, rootcomm = H.comm("lbspin"), H.comm("lbroot")
    local t = H.tracer("scripts/oncpu_nonroot.lua")
    H.run(H.bin .. "spin --ms 300 --comm " .. rootcomm) -- as root: left out
    H.run("setpriv --reuid=65534 --regid=65534 --clear-groups " .. H.bin .. "spin --ms 2000 --comm " .. comm)
    local rc, out = H.stop(t)
    assert.are.equal(0, rc)
    local n = 0
    for _, c in out:gmatch("@oncpu%[(%d+), " .. comm .. "%]: (%d+)\n") do n = n + tonumber(c) end
    assert.is_true(n >= 160 and n <= 240, "samples " .. n)
    assert.is_nil(out:find(rootcomm, 1, true))
  end)

  it("1.7 close_stacks.lua counts close() calls per user stack", function()
    local comm = H.comm("lbk")
    local t = H.tracer("scripts/close_stacks.lua", comm)
    -- the workload stays until the stacks are printed: user frames are
    -- symbolized through its /proc/PID/maps
    local w = H.workload(H.bin .. "stacker --hold --closes-a 30 --closes-b 12 --comm " .. comm)
    H.wait_for(w, "out", "done\n")
    local rc, out = H.stop(t)
    H.signal(w, "USR1")
    H.finish(w)
    assert.are.equal(0, rc)
    local found = {}
    for stack, n in out:gmatch("@stacks%[(.-)%]: (%d+)\n") do
      if stack:find("stacker_path_a+", 1, true) then found.a = tonumber(n) end
      if stack:find("stacker_path_b+", 1, true) then found.b = tonumber(n) end
      assert.is_truthy(stack:find("stacker_close+", 1, true), stack)
    end
    assert.are.same({ a = 30, b = 12 }, found)
  end)
end)
