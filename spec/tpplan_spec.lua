-- Tracepoint probe planning (runtime/tpplan.c) through the C driver, on
-- this machine's tracefs: the syscalls a wildcard matches become one
-- raw_syscalls program per direction with a mask of the matched numbers;
-- any other tracepoint one program.
local H = require "spec.helper"

local function tracefs_events(dir, glob)
  local root = io.open("/sys/kernel/tracing/events/syscalls") and "/sys/kernel/tracing"
    or "/sys/kernel/debug/tracing"
  local n = 0
  for _ in H.run("ls -d " .. root .. "/events/" .. dir .. "/" .. glob):gmatch("[^\n]+") do n = n + 1 end
  return n
end

describe("probe planning", function()
  local dir, driver
  setup(function()
    dir = H.run("mktemp -d"):gsub("%s+$", "")
    driver = H.build_driver(dir)
  end)
  teardown(function() H.run("rm -rf " .. dir) end)

  local function plan(pattern)
    local lines = {}
    for l in H.run(driver .. " --plan " .. H.quote(pattern) .. "; true"):gmatch("[^\n]+") do
      lines[#lines + 1] = l
    end
    return lines
  end

  it("groups syscalls:sys_enter_* onto raw_syscalls:sys_enter by number", function()
    local n = tracefs_events("syscalls", "sys_enter_*")
    local lines = plan("syscalls:sys_enter_*")
    assert.are.equal(("targets=%d programs=1"):format(n), lines[1])
    local target, mode, members, nrs = lines[2]:match("^(%S+) sysmode=(%d) members=(%d+) fields=%d+ nrs=(%S+)$")
    assert.are.equal("raw_syscalls:sys_enter", target)
    assert.are.equal("1", mode)
    assert.are.equal(n, tonumber(members)) -- every one has a number on x86-64
    local set, count = {}, 0
    for nr in nrs:gmatch("%d+") do set[tonumber(nr)] = true; count = count + 1 end
    assert.are.equal(n, count)
    -- read 0, write 1, getppid 110, openat 257: in the mask; 134 (uselib) has no tracepoint
    assert.is_true(set[0] and set[1] and set[110] and set[257])
    assert.is_nil(set[134])
  end)

  it("plans both directions and keeps only the fields they all share", function()
    local n = tracefs_events("syscalls", "sys_e*")
    local lines = plan("syscalls:sys_e*_getppid")
    assert.are.same({ "targets=2 programs=2",
      "raw_syscalls:sys_enter sysmode=1 members=1 fields=1 nrs=110",
      "raw_syscalls:sys_exit sysmode=2 members=1 fields=2 nrs=110" }, lines)
    lines = plan("syscalls:sys_e*")
    assert.are.equal(("targets=%d programs=2"):format(n), lines[1])
    -- __syscall_nr is all sys_enter_* have in common; exit adds ret
    assert.matches("^raw_syscalls:sys_enter sysmode=1 members=%d+ fields=1 ", lines[2])
    assert.matches("^raw_syscalls:sys_exit sysmode=2 members=%d+ fields=2 ", lines[3])
  end)

  it("groups the syscalls a wider wildcard matches, the rest one by one", function()
    local n = tracefs_events("syscalls", "sys_enter_*")
    local lines = plan("*:sys_enter*")
    assert.are.equal(("targets=%d programs=2"):format(n + 1), lines[1])
    assert.matches(("^raw_syscalls:sys_enter sysmode=1 members=%d fields=1 "):format(n), lines[2])
    assert.are.equal("raw_syscalls:sys_enter sysmode=0 members=1 fields=2", lines[3])
  end)

  it("plans one program per tracepoint elsewhere, and says when none matches", function()
    local n = tracefs_events("sched", "sched_wak*")
    local lines = plan("sched:sched_wak*")
    assert.are.equal(("targets=%d programs=%d"):format(n, n), lines[1])
    assert.are.equal("sched:sched_wakeup sysmode=0 members=1 fields=4", lines[3])
    assert.are.same({ "targets=1 programs=1", "syscalls:sys_enter_read sysmode=0 members=1 fields=4" },
      plan("syscalls:sys_enter_read"))
    assert.are.same({ "error: no tracepoint matches 'nope:x'" }, plan("nope:x"))
  end)
end)
