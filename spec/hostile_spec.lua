-- Hostile and careless input to the luabpf command, from the attack
-- review: each case ends with a clear message and a non-zero status (or
-- does the right thing), never a hang, a traceback into luabpf or output
-- lost in silence.
local H = require "spec.helper"

local luabpf = H.luabpf_output

describe("hostile input to the luabpf command #kernel", function()
  it("-p takes an existing process id, nothing else", function()
    for _, bad in ipairs { "1.5", "0", "-1", "abc" } do
      local rc, out = luabpf("-p " .. H.quote(bad) .. " -e 'BEGIN(function() end)'")
      assert.are.equal(1, rc)
      assert.are.equal("luabpf: -p needs a process id (a positive integer)\n", out)
    end
    local rc, out = luabpf("-p 999999999 -e 'BEGIN(function() end)'")
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: -p 999999999: no such process\n", out)
  end)

  it("-lv of a struct the kernel does not have says so", function()
    local rc, out = luabpf("-lv 'struct no_such_struct'")
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: no struct no_such_struct in the kernel's BTF\n", out)
  end)

  it("a script nested deeper than Lua's parser allows names the file", function()
    local path = H.script("local x = " .. ("("):rep(300) .. "1" .. (")"):rep(300) .. "\n")
    local rc, out = luabpf(path)
    os.remove(path)
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: " .. path .. ": cannot load: C stack overflow " ..
      "(nested too deeply for Lua's parser: split the expression)\n", out)
  end)

  it("settings and rates out of range get a message that names them", function()
    local rc, out = luabpf("-e 'config{max_strlen = 1.5}'")
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: -e:1: max_strlen must be an integer between 1 and 32768\n", out)
    local max = H.slurp("/proc/sys/kernel/perf_event_max_sample_rate"):match("%d+")
    for rate, msg in pairs {
      ["-5hz"] = "bad profile rate '-5hz' (use e.g. \"99hz\", \"10ms\")",
      ["0ms"] = "bad profile rate '0ms' (use e.g. \"99hz\", \"10ms\")",
      ["99999999hz"] = "profile rate '99999999hz' is more than this kernel's " .. max ..
        " samples per second (kernel.perf_event_max_sample_rate)",
    } do
      rc, out = luabpf("-e " .. H.quote("profile('" .. rate .. "', function(e) end)"))
      assert.are.equal(1, rc)
      assert.are.equal("luabpf: -e:1: " .. msg .. "\n", out)
    end
  end)

  it("profile and interval take the same units, as 99hz or as bpftrace's hz:99", function()
    local rc, out = luabpf("-e " .. H.quote([[local n = 0
interval("2m", function() end)
profile("hz:99", function(e) end)
profile("us:100000", function(e) end)
interval("ms:20", function() n = n + 1; printf("tick %d\n", n); if n == 3 then exit() end end)]]))
    assert.are.equal(0, rc)
    assert.are.equal("Attaching 4 probes...\ntick 1\ntick 2\ntick 3\n", out:match("^.-tick 3\n"))
  end)

  it("output that cannot be written is an error, not lost with status 0", function()
    local code = H.quote('BEGIN(function() printf("hello\\n"); exit() end)')
    local rc, _, err = H.run_rc("(" .. H.luabpf .. " -e " .. code .. " >/dev/full)")
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: cannot write the output: No space left on device\n", err)
    -- stdout closed: fd 1 is held so a map never lands there, and writes fail
    rc, _, err = H.run_rc("(" .. H.luabpf .. " -e " .. code .. " >&-)")
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: cannot write the output: Bad file descriptor\n", err)
  end)

  it("Ctrl-C ends a BEGIN handler that never returns", function()
    local p = H.spawn(H.luabpf .. " -e " .. H.quote("BEGIN(function()\n  while true do end\nend)"))
    H.wait_for(p, "out", "Attaching 1 probe")
    H.sleep(0.3)
    H.signal(p, "INT")
    local rc, out, err = H.finish(p, 10)
    assert.are.equal(1, rc)
    assert.are.equal("\n\n", out)
    assert.are.equal("luabpf: -e:2: interrupted by SIGINT\nstack traceback:\n\t-e:2: in function <-e:1>\n", err)
  end)

  it("a uprobe on malloc that prints does not trace luabpf's own mallocs", function()
    local comm = H.comm("lbmal")
    local p = H.spawn(H.luabpf .. " -e " .. H.quote(
      'local m = map(); uprobe("libc:malloc", function(e) if e.comm == ' ..
      string.format("%q", comm) .. ' then printf("%d\\n", e.pid) end; m[e.pid] = count() end)') ..
      " 2>&1")
    H.wait_for(p, "out", "Attaching 1 probe")
    H.run(H.bin .. "syscaller --calls 1 --comm " .. comm)
    H.sleep(0.3)
    H.signal(p, "INT")
    local rc, out = H.finish(p, 20)
    assert.are.equal(0, rc, out)
    assert.is_nil(out:find("@m%[" .. p.pid .. "%]"), "luabpf traced itself")
  end)

  it("a uprobe, USDT probe or listing on a FIFO says what the file is, without blocking", function()
    local dir = H.tmpdir()
    local fifo = dir .. "/fifo"
    H.run("mkfifo " .. fifo)
    local rc, out = luabpf("-e " .. H.quote('uprobe("' .. fifo .. ':f", function(e) end)'))
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: -e:1: " .. fifo .. ": a FIFO, not an ELF file\n", out)
    rc, out = luabpf("-l " .. H.quote("uprobe:" .. fifo .. ":*"))
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: " .. fifo .. ": a FIFO, not an ELF file\n", out)
    os.execute("rm -rf " .. H.quote(dir))
  end)

  it("no probe fires in luabpf itself: its own epoll_wait calls are not counted", function()
    local p = H.spawn(H.luabpf .. " -e " .. H.quote(
      'local m = map(); tracepoint("syscalls:sys_enter_epoll_wait", function(e) m[e.pid] = count() end)' ..
      '; interval("100ms", function() end)'))
    H.wait_for(p, "out", "Attaching %d+ probes")
    H.sleep(0.5) -- five intervals: luabpf waits in epoll_wait between them
    local rc, out = H.stop(p)
    assert.are.equal(0, rc, out)
    assert.is_nil(out:find("@m%[" .. p.pid .. "%]"), "luabpf counted its own epoll_wait:\n" .. out)
  end)

  it("a probe name part longer than 399 bytes is refused by name", function()
    local rc, out = luabpf("-e " .. H.quote('kfunc("' .. ("x"):rep(500) .. '", function(e) end)'))
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: -e:1: kfunc: a part of the probe name is longer than 399 bytes\n", out)
  end)
end)
