-- The luabpf command: one-liners, arguments, errors, and what it leaves behind.
local H = require "spec.helper"

-- Programs luabpf has loaded and not yet released, kernel-wide.
local live_programs = H.live_programs

local run_luabpf = H.luabpf_output

local script = H.script

describe("luabpf command #kernel", function()
  it("runs a one-liner with the bpf functions as globals", function()
    local comm = H.comm("lbe")
    local t = H.spawn(H.luabpf .. " -e " .. H.quote([[
      local m, target = map(), arg[1]
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm == target then m.calls = count() end
      end)]]) .. " " .. comm)
    H.wait_for(t, "out", "Attaching")
    H.run(H.bin .. "syscaller --calls 321 --comm " .. comm)
    local rc, out = H.stop(t)
    assert.are.equal(0, rc)
    assert.are.equal("\n\n@m[calls]: 321\n", out)
  end)

  it("ends cleanly on SIGTERM: maps printed, status 0, nothing left attached", function()
    local before = live_programs()
    local comm = H.comm("lbterm")
    local t = H.tracer("scripts/syscount.lua")
    assert.are.equal(before + 1, live_programs())
    H.run(H.bin .. "syscaller --calls 100 --comm " .. comm)
    H.signal(t, "TERM")
    local rc, out = H.finish(t)
    assert.are.equal(0, rc)
    local n = H.parse_maps(out).calls[comm]
    assert.is_true(n >= 100 and n <= 120, tostring(n))
    assert.are.equal(before, live_programs())
  end)

  it("-p PID traces only that process and ends when it does", function()
    local comm = H.comm("lbpid")
    local w = H.workload(H.bin .. "syscaller --wait-signal --calls 321 --comm " .. comm)
    local t = H.tracer({ "-p", tostring(w.wpid), "-e",
      [[local m = map() tracepoint("syscalls:sys_enter_getppid", function(e) m[e.comm] = count() end)]] })
    H.run("/bin/true") -- another process's getppid calls would not count anyway
    H.signal(w, "USR1")
    H.finish(w)
    local rc, out = H.finish(t, 10) -- no signal: it ends with the process
    assert.are.equal(0, rc)
    assert.are.equal(string.format("\n\n@m[%s]: 321\n", comm), out)
  end)

  it("-c CMD runs the command, traces only it, and ends with it", function()
    local comm = H.comm("lbcmd")
    local rc, out = run_luabpf("-c " .. H.quote(H.bin .. "syscaller --calls 123 --comm " .. comm) ..
      " -e " .. H.quote([[local m = map() tracepoint("syscalls:sys_enter_getppid", function(e) m[e.comm] = count() end)]]))
    assert.are.equal(0, rc)
    assert.is_truthy(out:find(string.format("\n\n@m[%s]: 123\n", comm), 1, true), out)
    assert.is_nil(out:find("@m%[[^%]]*%]: %d+\n.*@m%["), "only the command's calls")
  end)

  it("ends by itself on bpf.exit() from an interval, printing the maps", function()
    local rc, out = run_luabpf("-e " .. H.quote([[
      local n = 0
      local ticks = map()
      interval("50ms", function() n = n + 1; if n == 3 then exit() end end)
      END(function() print("end after " .. n) end)]]))
    assert.are.equal(0, rc)
    assert.are.equal("Attaching 2 probes...\nend after 3\n\n\n", out)
  end)

  it("reports a missing tracepoint at the script's line, exit 1, nothing attached", function()
    local before = live_programs()
    local path = script('local bpf = require "luabpf"\nlocal m = bpf.map()\n' ..
      'bpf.tracepoint("syscalls:sys_enter_getppid", function(e) m[e.pid] = bpf.count() end)\n' ..
      'bpf.tracepoint("nosuch:thing", function(e) m[e.pid] = bpf.count() end)\n')
    local rc, out = run_luabpf(path)
    os.remove(path)
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: " .. path .. ":4:16: no tracepoint matches 'nosuch:thing'\n" ..
      'bpf.tracepoint("nosuch:thing", function(e) m[e.pid] = bpf.count() end)\n' ..
      "               ^\nhint: luabpf -l 'tracepoint:nosuch:*' lists them\n", out)
    assert.are.equal(before, live_programs())
  end)

  it("a probe refused half-way through attaching leaves nothing attached #nokprobe", function()
    -- every function of uprobeme and a tracepoint attach; the kfunc after
    -- them is refused by this kernel (fentry EPERM): all must go
    local bin = H.root .. "/build/bin/uprobeme"
    local before = live_programs()
    local rc, out = run_luabpf("-e " .. H.quote(string.format([[
      local m = map()
      uprobe("%s:*", function(e) m[e.probe] = count() end)
      tracepoint("syscalls:sys_enter_getppid", function(e) m[e.probe] = count() end)
      kfunc("vfs_read", function(e) m[e.probe] = count() end)]], bin)))
    assert.are.equal(1, rc)
    assert.is_truthy(out:find("kfunc:vfs_read: this kernel does not permit kfunc", 1, true), out)
    assert.are.equal(before, H.programs_back_to(before)) -- uprobe_multi's: freed after a grace period
  end)

  it("reports a compile error with file:line:col, the line and a caret", function()
    local path = script('local bpf = require "luabpf"\nlocal m = bpf.map()\n' ..
      'bpf.tracepoint("syscalls:sys_enter_getppid", function(e)\n' ..
      '  m[e.pid] = string.format("%d", e.pid)\nend)\n')
    local rc, out = run_luabpf(path)
    os.remove(path)
    assert.are.equal(1, rc)
    local first = out:match("^luabpf: ([^\n]*)\n")
    assert.are.equal(path .. ":4:14:", first:sub(1, #path + 6))
    assert.is_truthy(out:find("\n  m%[e.pid%] = string.format%(\"%%d\", e.pid%)\n             %^\n"))
  end)

  it("says what is needed when not run as root", function()
    local path = H.root .. "/build/bin/luabpf"
    local f = io.popen("setpriv --reuid=65534 --regid=65534 --clear-groups " .. path ..
      " -e " .. H.quote([[local m = map() tracepoint("syscalls:sys_enter_getppid", function(e) m[e.pid] = count() end)]]) ..
      " 2>&1; echo \"rc=$?\"")
    local out = f:read("a")
    f:close()
    local rc = tonumber(out:match("rc=(%d+)\n$"))
    assert.are.equal(1, rc)
    assert.is_truthy(out:find("needs root, or CAP_BPF and CAP_PERFMON", 1, true), out)
  end)
end)
