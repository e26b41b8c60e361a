-- Ctrl-C ends a run within a second wherever it is (issue 12): a BEGIN,
-- interval or END handler looping in Lua, a run with many programs to
-- detach, and nothing stays attached. The seconds from the signal to
-- the exit are asserted; the slowest is README's interrupt figure.
local H = require "spec.helper"

local LIMIT = 1.0

local function quiet_after(before)
  -- the tracer was reaped: its programs are gone with it (the kernel
  -- frees some a grace period later)
  assert.are.equal(before, H.live_programs_settled(before))
end

describe("interrupting luabpf", function()
  it("a BEGIN handler that never returns", function()
    local before = H.live_programs()
    local p = H.spawn(H.luabpf .. " -e " .. H.quote("BEGIN(function()\n  while true do end\nend)"))
    H.wait_for(p, "out", "Attaching 1 probe")
    H.sleep(0.3)
    local rc, out, err, _, secs = H.interrupt(p)
    assert.are.equal(1, rc)
    assert.are.equal("\n\n", out)
    assert.are.equal("luabpf: -e:2: interrupted by SIGINT\nstack traceback:\n\t-e:2: in function <-e:1>\n", err)
    assert.is_true(secs <= LIMIT, secs .. " s")
    quiet_after(before)
  end)

  it("an interval handler that never returns, by SIGTERM", function()
    local before = H.live_programs()
    local p = H.spawn(H.luabpf .. " -e " .. H.quote('interval("50ms", function()\n  while true do end\nend)'))
    H.wait_for(p, "out", "Attaching 1 probe")
    H.sleep(0.4)
    local rc, out, err, _, secs = H.interrupt(p, "TERM")
    assert.are.equal(1, rc)
    assert.are.equal("\n\n", out)
    assert.are.equal("luabpf: -e:2: interrupted by SIGTERM\nstack traceback:\n\t-e:2: in function <-e:1>\n", err)
    assert.is_true(secs <= LIMIT, secs .. " s")
    quiet_after(before)
  end)

  it("an END handler that never returns: the second Ctrl-C ends it", function()
    local before = H.live_programs()
    local p = H.spawn(H.luabpf .. " -e " ..
      H.quote('END(function()\n  io.stderr:write("in END\\n")\n  while true do end\nend)'))
    H.wait_for(p, "out", "Attaching 1 probe")
    H.signal(p, "INT")
    H.wait_for(p, "err", "in END\n")
    H.sleep(0.3)
    local rc, out, err, _, secs = H.interrupt(p)
    assert.are.equal(1, rc)
    assert.are.equal("\n\n", out)
    assert.are.equal("in END\nluabpf: -e:3: interrupted by SIGINT\nstack traceback:\n\t-e:3: in function <-e:1>\n", err)
    assert.is_true(secs <= LIMIT, secs .. " s")
    quiet_after(before)
  end)

  it("60 handlers on one tracepoint detach within the second", function()
    -- closing a perf-event tracepoint waits for the kernel (~40 ms each
    -- here): one after another 60 took 2.3 s, closed in parallel ~0.2 s
    local comm = H.comm("lbint")
    local lines = { 'local bpf = require "luabpf"', "local m = bpf.map()" }
    for i = 1, 60 do
      lines[#lines + 1] = ('bpf.tracepoint("syscalls:sys_enter_getppid", function(e) ' ..
        'if e.comm == %q then m[%d] = bpf.count() end end)'):format(comm, i)
    end
    local path = H.script(table.concat(lines, "\n") .. "\n")
    local before = H.live_programs()
    local p = H.spawn(H.luabpf .. " " .. path)
    H.wait_for(p, "out", "Attaching 60 probes")
    H.run(H.bin .. "syscaller --comm " .. comm .. " --calls 3 --syscall getppid")
    H.sleep(0.3)
    local rc, out, err, _, secs = H.interrupt(p)
    os.remove(path)
    assert.are.equal(0, rc, err)
    assert.are.equal("", err)
    local counted = 0
    for k, v in out:gmatch("@m%[(%d+)%]: (%d+)\n") do
      assert.are.equal("3", v, "m[" .. k .. "]")
      counted = counted + 1
    end
    assert.are.equal(60, counted, out)
    assert.is_true(secs <= LIMIT, secs .. " s")
    quiet_after(before)
  end)
end)
