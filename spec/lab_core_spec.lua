-- Lab part 1 (core language), scripts 1.1-1.4b, against real workloads.
local H = require "spec.helper"

local SLACK = 20 -- syscalls a workload makes under its own name besides the counted ones

describe("lab 1: core language #kernel", function()
  setup(function() assert.is_true(H.is_root(), "kernel specs run as root") end)

  it("1.1 fdbytes.lua sums the bytes written per fd of one named process", function()
    local comm = H.comm("lbw")
    local t = H.tracer("scripts/fdbytes.lua", comm)
    local pidline = H.run(H.bin .. "writer --comm " .. comm .. " 5:100x7 6:4096x3 9:1x11")
    local rc, out = H.stop(t)
    assert.are.equal(0, rc)
    local m = H.parse_maps(out).bytes
    -- fd 1: the workload's own "pid=N\n" line, written under its new name
    assert.are.same({ ["1"] = #pidline, ["5"] = 700, ["6"] = 12288, ["9"] = 11 }, m)
  end)

  for _, form in ipairs { "syscount", "syscount_sum", "syscount_incr" } do
    it("1.2 " .. form .. ".lua counts every syscall of a process by comm", function()
      local comm = H.comm("lbc")
      local t = H.tracer("scripts/" .. form .. ".lua")
      H.run(H.bin .. "syscaller --comm " .. comm .. " --calls 5000")
      local rc, out = H.stop(t)
      assert.are.equal(0, rc)
      local n = H.parse_maps(out).calls[comm]
      assert.is_true(n >= 5000 and n <= 5000 + SLACK, "count " .. tostring(n))
    end)
  end

  it("1.3 syscount_interval.lua prints the top 10 per round, clears, exits after 3 rounds", function()
    local comm = H.comm("lbi")
    local t = H.tracer("scripts/syscount_interval.lua", "700ms", "3")
    H.run(H.bin .. "syscaller --comm " .. comm .. " --calls 3000")
    local rc, out = H.finish(t, 20) -- it exits by itself
    assert.are.equal(0, rc)
    -- per round: at most 10 entries; the workload appears in exactly one
    -- round (counts are cleared after each print), with all its calls
    local rounds, seen = {}, 0
    for line in out:gmatch("([^\n]*)\n") do
      if line == "" then break end -- the maps printed at exit follow
      if line:match(" round %d+$") then
        rounds[#rounds + 1] = 0
      elseif line:match("^@calls%[") then
        rounds[#rounds] = rounds[#rounds] + 1
        local n = line:match("^@calls%[" .. comm .. "%]: (%d+)$")
        if n then
          seen = seen + 1
          assert.is_true(tonumber(n) >= 3000 and tonumber(n) <= 3000 + SLACK, n)
        end
      end
    end
    assert.are.equal(3, #rounds)
    for _, n in ipairs(rounds) do assert.is_true(n <= 10) end
    assert.are.equal(1, seen)
  end)

  it("1.4a syscount_pid.lua counts per (pid, tid, comm) of one process", function()
    local comm = H.comm("lbp")
    local w = H.workload(H.bin .. "syscaller --wait-signal --threads 3 --calls 2000 --comm " .. comm)
    local t = H.tracer("scripts/syscount_pid.lua", tostring(w.wpid))
    H.signal(w, "USR1")
    assert.are.equal(0, (H.finish(w)))
    local rc, out = H.stop(t)
    assert.are.equal(0, rc)
    local m = H.parse_maps(out).calls
    for _, tid in ipairs(w.tids) do
      local n = m[string.format("%d, %d, %s", w.wpid, tid, comm)]
      assert.is_true(n and n >= 2000 and n <= 2000 + SLACK, tostring(n))
    end
    for key in pairs(m) do
      assert.are.equal(tostring(w.wpid), key:match("^(%d+),"), "only the traced pid")
    end
  end)

  it("1.4b syscount_tid.lua counts the syscalls of one thread by probe", function()
    local comm = H.comm("lbt")
    local w = H.workload(H.bin .. "syscaller --wait-signal --threads 2 --calls 1234 --comm " .. comm)
    local t = H.tracer("scripts/syscount_tid.lua", tostring(w.wpid), tostring(w.tids[2]))
    H.signal(w, "USR1")
    assert.are.equal(0, (H.finish(w)))
    local rc, out = H.stop(t)
    assert.are.equal(0, rc)
    local m = H.parse_maps(out).calls
    assert.are.equal(1234, m["tracepoint:syscalls:sys_enter_getppid"])
  end)
end)
