-- luabpf -c CMD: what is traced (the command itself, or a shell and its
-- children), when the run ends, and that the command never outlives luabpf.
local H = require "spec.helper"

-- Read syscalls per comm. LC_ALL=C: dd and cat then read no locale files,
-- so a dd of N blocks makes exactly N + 1 reads (the loader's read of
-- libc's ELF header), as strace and bpftrace 0.17 count too.
local reads = [[local m = map() tracepoint("syscalls:sys_enter_read", function(e) m[e.comm] = count() end)]]

-- luabpf -c CMD -e CODE to its end: exit status, stdout and stderr
local function run_c(cmd, code)
  local f = io.popen(("LC_ALL=C %s -c %s -e %s 2>&1; echo \"rc=$?\""):format(H.luabpf, H.quote(cmd),
    H.quote(code or reads)))
  local out = f:read("a")
  f:close()
  local body, rc = out:match("^(.*)rc=(%d+)\n$")
  return tonumber(rc), body
end

-- pids of live processes whose command line is exactly `sleep SECONDS`
local function sleeping(seconds)
  local pids = {}
  local p = io.popen("ls /proc")
  for pid in p:read("a"):gmatch("%d+") do
    local cmdline = H.slurp("/proc/" .. pid .. "/cmdline")
    local stat = H.slurp("/proc/" .. pid .. "/stat")
    if cmdline == "sleep\0" .. seconds .. "\0" and not stat:match("^%d+ %b() Z") then
      pids[#pids + 1] = tonumber(pid)
    end
  end
  p:close()
  return pids
end

local function none_left(seconds)
  for _ = 1, 100 do
    if #sleeping(seconds) == 0 then return true end
    H.sleep(0.02)
  end
  return false
end

local serial = 0
local function unique_seconds() -- a sleep no other process is running
  serial = serial + 1
  return string.format("%d.%d%04d", 900 + serial, os.time() % 100000, math.random(0, 9999))
end

describe("luabpf -c #kernel", function()
  it("runs a simple command itself: dd's reads, exactly as bpftrace 0.17 counts them", function()
    local rc, out = run_c("dd if=/dev/zero of=/dev/null count=300")
    assert.are.equal(0, rc, out)
    -- 300 blocks + libc's ELF header; no shell in between
    assert.is_truthy(out:find("\n\n@m[dd]: 301\n", 1, true), out)
    assert.is_nil(out:find("@m[sh]", 1, true), out)
    -- comm == "dd": bpftrace's child reads its start pipe before exec,
    -- sometimes after the probe is attached
    local f = io.popen("LC_ALL=C timeout 60 bpftrace -c '/usr/bin/dd if=/dev/zero of=/dev/null count=300' " ..
      "-e 't:syscalls:sys_enter_read /pid == cpid && comm == \"dd\"/ { @ = count(); }' 2>/dev/null")
    local bt = f:read("a")
    f:close()
    assert.are.equal("301", bt:match("@: (%d+)"), bt)
  end)

  it("e.cpid is the command's own pid when it runs itself", function()
    local rc, out = run_c(H.bin .. "syscaller --calls 1 --comm lbcsimple",
      [[tracepoint("syscalls:sys_enter_getppid", function(e) printf("%d %d\n", e.cpid, e.pid) end)]])
    assert.are.equal(0, rc, out)
    local cpid, pid = out:match("\n(%d+) (%d+)\n")
    assert.are.equal(cpid, pid, out)
  end)

  it("runs shell syntax through /bin/sh and follows its children", function()
    local rc, out = run_c("dd if=/dev/zero of=/dev/null count=300 | cat; " ..
      "dd if=/dev/zero of=/dev/null count=100 2>/dev/null")
    assert.are.equal(0, rc, out)
    -- dash reads libc's header once, cat that and its empty stdin,
    -- the two dd 301 + 101
    assert.are.equal("\n\n@m[sh]: 1\n@m[cat]: 2\n@m[dd]: 402\n", out:match("\n\n@.*$"), out)
  end)

  it("follows only the command's tree: a dd run beside it is not counted", function()
    local t = H.spawn("LC_ALL=C " .. H.luabpf .. " -c " ..
      H.quote("sleep 0.5; dd if=/dev/zero of=/dev/null count=100 2>/dev/null") .. " -e " .. H.quote(reads))
    H.wait_for(t, "out", "Attaching")
    H.run("LC_ALL=C dd if=/dev/zero of=/dev/null count=77 2>/dev/null") -- outside the tree
    local rc, out = H.finish(t)
    assert.are.equal(0, rc, out)
    assert.are.equal("\n\n@m[sh]: 1\n@m[sleep]: 1\n@m[dd]: 101\n", out)
  end)

  it("quoted words are one argument: sh -c '...' runs sh itself, its dd is followed", function()
    local rc, out = run_c([[sh -c "dd if=/dev/zero of=/dev/null count=200 2>/dev/null"]])
    assert.are.equal(0, rc, out)
    assert.are.equal("\n\n@m[sh]: 1\n@m[dd]: 201\n", out:match("\n\n@.*$"), out)
  end)

  it("a command that does not exist: exit status 1, one message, nothing run", function()
    for cmd, msg in pairs {
      ["lb_no_such_cmd --flag"] = "'lb_no_such_cmd' does not exist or is not executable (searched PATH)",
      ["lb_no_such_cmd | cat"] = "'lb_no_such_cmd' does not exist or is not executable (searched PATH)",
      ["/nonexistent/prog"] = "'/nonexistent/prog' does not exist or is not executable",
      ["/etc/passwd x"] = "'/etc/passwd' does not exist or is not executable",
    } do
      local rc, out = run_c(cmd)
      assert.are.equal(1, rc, out)
      assert.are.equal("luabpf: -c: " .. msg .. "\n", out)
    end
  end)

  it("ends with the command, and stops what it left running", function()
    local s = unique_seconds()
    local rc, out = run_c("sleep " .. s .. " & exit 0")
    assert.are.equal(0, rc, out)
    assert.is_true(none_left(s), "sleep " .. s .. " outlived luabpf")
  end)

  for _, sig in ipairs { "INT", "TERM", "KILL" } do
    it("SIG" .. sig .. " of luabpf leaves none of the command's processes running", function()
      local simple, piped = unique_seconds(), unique_seconds()
      for _, case in ipairs { { "sleep " .. simple, { simple } },
                              { "sleep " .. piped .. " | sleep " .. piped .. "1", { piped, piped .. "1" } } } do
        local t = H.tracer({ "-c", case[1], "-e", reads })
        for _, s in ipairs(case[2]) do
          for _ = 1, 100 do
            if #sleeping(s) == 1 then break end
            H.sleep(0.02)
          end
          assert.are.equal(1, #sleeping(s), case[1])
        end
        H.signal(t, sig)
        local rc = H.finish(t)
        assert.are.equal(sig == "KILL" and 137 or 0, rc)
        for _, s in ipairs(case[2]) do
          assert.is_true(none_left(s), "sleep " .. s .. " outlived luabpf (SIG" .. sig .. ")")
        end
      end
    end)
  end
end)
