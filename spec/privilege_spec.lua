-- Privilege: luabpf with only some capabilities (setpriv, util-linux),
-- the one a refused probe lacks named in its message, and --drop-caps.
-- Measured on Linux 6.18 (perf_event_paranoid 2): maps need CAP_BPF;
-- loading tracing programs CAP_PERFMON; uprobes CAP_SYS_ADMIN besides;
-- tracefs (mode 0700) CAP_DAC_READ_SEARCH when not uid 0; kernel
-- symbols (/proc/kallsyms addresses) CAP_SYSLOG.
local H = require "spec.helper"

-- The command line running luabpf ARGS (shell-quoted words) as uid 0
-- with exactly caps (setpriv names: "bpf,perfmon"), or as nobody with
-- them (ambient) when as_nobody.
local function with_caps(caps, args, as_nobody)
  local plus = caps == "" and "" or ",+" .. caps:gsub(",", ",+")
  local priv = as_nobody
    and ("setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all%s " ..
         "--ambient-caps=-all%s --"):format(plus, plus)
    or ("setpriv --inh-caps=-all --bounding-set=-all%s --"):format(plus)
  return priv .. " " .. H.luabpf .. " " .. args
end

local function status(pid)
  local caps = {}
  for k, v in H.slurp("/proc/" .. pid .. "/status"):gmatch("(Cap%a+):%s*(%x+)") do caps[k] = v end
  return caps
end

-- Counts getppid calls of one process (arg[1]).
local COUNT = H.quote([[
  local m, target = map(), tonumber(arg[1])
  tracepoint("syscalls:sys_enter_getppid", function(e)
    if e.pid == target then m.calls = count() end
  end)]])

-- Start a tracer (a command line), a workload after it has attached,
-- and stop the tracer once the workload is done: rc, output, the
-- tracer's /proc status while it ran.
local function count_calls(cmd_of, calls)
  local w = H.workload(H.bin .. "syscaller --wait-signal --calls " .. calls)
  local t = H.spawn(cmd_of(w.wpid))
  local ok, e = pcall(H.wait_for, t, "out", "Attaching", 60)
  if not ok then -- neither may outlive the spec
    H.signal(t, "INT")
    H.signal({ pid = w.wpid }, "TERM")
    error(e, 0)
  end
  local caps = status(t.pid)
  H.signal({ pid = w.wpid }, "USR1")
  assert.are.equal(0, (H.finish(w)))
  local rc, out, err = H.stop(t)
  return rc, out, err, caps
end

local TP = H.quote('tracepoint("syscalls:sys_enter_getppid", function() end)')
local UP = H.quote('uprobe("' .. H.bin .. 'uprobeme:foo", function() end)')
local PROFILE = H.quote('profile("99hz", function() end)')

describe("privilege #kernel", function()
  it("counts with exactly CAP_BPF and CAP_PERFMON (uid 0)", function()
    local rc, out, _, caps = count_calls(function(pid)
      return with_caps("bpf,perfmon", "-e " .. COUNT .. " " .. pid)
    end, 345)
    assert.are.equal("000000c000000000", caps.CapEff)
    assert.are.equal(0, rc)
    assert.are.equal("\n\n@m[calls]: 345\n", out)
  end)

  it("counts as nobody with CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH", function()
    local rc, out, _, caps = count_calls(function(pid)
      return with_caps("bpf,perfmon,dac_read_search", "-e " .. COUNT .. " " .. pid, true)
    end, 123)
    assert.are.equal("000000c000000004", caps.CapEff)
    assert.are.equal(0, rc)
    assert.are.equal("\n\n@m[calls]: 123\n", out)
  end)

  -- each probe kind refused for the one capability it lacks
  local cases = {
    { "perfmon", TP, "cannot create BPF maps: Operation not permitted (luabpf lacks CAP_BPF: " ..
      "run it as root or grant it)" },
    { "bpf", TP, "the kernel refused the program for tracepoint:syscalls:sys_enter_getppid: " ..
      "Operation not permitted (luabpf lacks CAP_PERFMON: run it as root or grant it)" },
    { "bpf", PROFILE, "the kernel refused the program for profile: Operation not permitted " ..
      "(luabpf lacks CAP_PERFMON: run it as root or grant it)" },
    { "bpf,perfmon", UP, "cannot attach to uprobe:" .. H.bin .. "uprobeme:foo: Permission " ..
      "denied (luabpf lacks CAP_SYS_ADMIN: run it as root or grant it)" },
    { "bpf,perfmon", TP, "-e:1: cannot list /sys/kernel/tracing/events: Permission denied " ..
      "(luabpf lacks CAP_DAC_READ_SEARCH: run it as root or grant it)", true },
  }
  for _, c in ipairs(cases) do
    local caps, code, msg, as_nobody = c[1], c[2], c[3], c[4]
    it(("names what %s lacks: %s"):format(caps .. (as_nobody and " as nobody" or ""), msg),
       function()
      local before = H.live_programs()
      local rc, out, err = H.run_rc(with_caps(caps, "-e " .. code, as_nobody))
      assert.are.equal(1, rc)
      assert.are.equal("", out)
      assert.are.equal("luabpf: " .. msg .. "\n", err)
      -- programs other runs are releasing show unheld for a moment
      assert.are.equal(before, H.live_programs_settled(before))
    end)
  end

  it("says kernel stacks print as addresses without CAP_SYSLOG", function()
    local stacks = H.quote([[
      local m, target = map(), tonumber(arg[1])
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.pid == target then m[e.kstack] = count() end
      end)]])
    local rc, out, err = count_calls(function(pid)
      return with_caps("bpf,perfmon", "-e " .. stacks .. " " .. pid)
    end, 12)
    assert.are.equal(0, rc)
    assert.are.match("^\n\n@m%[\n    0xffffffff%x+\n[^@]*%]: 12\n$", out)
    assert.are.equal("Warning: kernel stacks and ksym() printed addresses: /proc/kallsyms " ..
      "hides them (luabpf lacks CAP_SYSLOG: run it as root or grant it)\n", err)
  end)

  it("--drop-caps: every capability gone once attached, the run goes on", function()
    -- kernel stacks too: kallsyms is read before CAP_SYSLOG goes
    local rc, out, err, caps = count_calls(function(pid)
      return H.luabpf .. " --drop-caps -e " .. COUNT .. " " .. pid
    end, 4321)
    assert.are.same({ CapInh = "0000000000000000", CapPrm = "0000000000000000",
                      CapEff = "0000000000000000", CapBnd = "0000000000000000",
                      CapAmb = "0000000000000000" }, caps)
    assert.are.equal("", err)
    assert.are.equal(0, rc)
    assert.are.equal("\n\n@m[calls]: 4321\n", out)
  end)

  it("--drop-caps with only CAP_BPF and CAP_PERFMON (no CAP_SETPCAP for the bounding set)",
     function()
    local rc, out, _, caps = count_calls(function(pid)
      return with_caps("bpf,perfmon", "--drop-caps -e " .. COUNT .. " " .. pid)
    end, 99)
    assert.are.equal("0000000000000000", caps.CapEff)
    assert.are.equal("0000000000000000", caps.CapPrm)
    assert.are.equal("000000c000000000", caps.CapBnd)
    assert.are.equal(0, rc)
    assert.are.equal("\n\n@m[calls]: 99\n", out)
  end)

  it("s:drop_caps() in a host: dropped once attached, kernel stacks still named", function()
    local path = H.script([[
      local bpf = require "luabpf"
      local s = bpf.session()
      local stacks, target = s:map(), tonumber(arg[1])
      s:tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.pid == target then stacks[e.kstack] = bpf.count() end
      end)
      s:drop_caps()
      s:run()
    ]])
    local rc, out, _, caps = count_calls(function(pid)
      return H.host_command(path, tostring(pid))
    end, 7)
    os.remove(path)
    assert.are.equal("0000000000000000", caps.CapEff)
    assert.are.equal(0, rc)
    -- one kernel stack, counted 7 times, its frames named
    assert.are.match("\n%s+do_syscall_64%+%d+\n", out)
    assert.are.match("^\n\n@stacks%[[^@]*%]: 7\n$", out)
  end)
end)
