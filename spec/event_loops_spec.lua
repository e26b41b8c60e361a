-- luabpf driven by real event loops from Debian: libuv (lua-luv) and
-- cqueues. The session's descriptor (s:fd()) must wake the loop for
-- ring-buffer records and for intervals (no other timer in the loop);
-- s:poll(0) handles what is ready and returns at once; an error in an
-- interval is raised from that s:poll(0) and the session goes on. Each
-- host runs as its own process and prints what it saw, under the Lua
-- the specs run for (LUABPF_LUA).
local H = require "spec.helper"

-- Shared by both hosts: a session counting getppid() calls of `comm`,
-- a printf per call, an interval that fails on its 3rd run.
local SESSION = [[
local bpf = require "luabpf"
local comm, workload = arg[1], arg[2]
local s = bpf.session()
local calls = s:map "calls"
s:tracepoint("syscalls:sys_enter_getppid", function(e)
  if e.comm == comm then
    calls[e.comm] = bpf.count()
    bpf.printf("call %d\n", e.pid)
  end
end)
local ticks, printfs, errors = 0, 0, {}
s:interval("50ms", function()
  ticks = ticks + 1
  if ticks == 3 then error("tick three failed") end
end)
s:on_event(function(ev)
  if ev.type == "printf" then printfs = printfs + 1 end
end)
-- One wake-up of the loop: everything ready, then back at once.
local function wake()
  local t0 = bpf._core.now()
  local ok, err = pcall(s.poll, s, 0)
  if not ok then errors[#errors + 1] = err end
  assert(bpf._core.now() - t0 < 20e6, "poll(0) waited")
end
local function done() return printfs >= 5 and ticks >= 5 end
local function report()
  print("calls", calls[comm], "printfs", printfs, "ticks>=5", ticks >= 5)
  print("errors", #errors, errors[1] and errors[1]:match("^[^\n]*"))
  print("traceback", errors[1] and errors[1]:find("stack traceback:", 1, true) ~= nil)
  s:close()
end
]]

local LUV = SESSION .. [[
local uv = require "luv"
local poll = uv.new_poll(s:fd()) -- before start: the same descriptor after
s:start()
uv.spawn(workload, { args = { "--calls", "5", "--comm", comm } }, function() end)
poll:start("r", function()
  wake()
  if done() then poll:stop() end
end)
uv.run()
report()
]]

local CQUEUES = SESSION .. [[
local cqueues = require "cqueues"
local fd = s:fd()
local pollable = { pollfd = function() return fd end, events = function() return "r" end }
s:start()
local cq = cqueues.new()
cq:wrap(function()
  local w = io.popen(workload .. " --calls 5 --comm " .. comm)
  while not done() do
    cqueues.poll(pollable)
    wake()
  end
  w:close()
end)
assert(cq:loop())
report()
]]

local function host(text)
  local comm = H.comm("lbev")
  local path = H.script(text)
  local rc, out, err = H.run_rc(H.host_command(path, comm, H.bin .. "syscaller"), 60)
  os.remove(path)
  return rc, out, err, path
end

-- the line of the interval's error in the host's text
local ERROR_LINE = select(2, SESSION:match("^(.-)tick three failed"):gsub("\n", "")) + 1

local function expected(path)
  return table.concat({
    "calls\t5\tprintfs\t5\tticks>=5\ttrue",
    "errors\t1\t" .. path .. ":" .. ERROR_LINE .. ": tick three failed",
    "traceback\ttrue",
  }, "\n") .. "\n"
end

describe("foreign event loops #kernel", function()
  setup(function() assert.is_true(H.is_root(), "kernel specs run as root") end)

  it("libuv (lua-luv): uv.new_poll(s:fd()) wakes for records and intervals", function()
    local rc, out, err, path = host(LUV)
    assert.are.equal(0, rc, err)
    assert.are.equal(expected(path), out)
  end)

  it("cqueues: cqueues.poll on s:fd() wakes for records and intervals", function()
    local rc, out, err, path = host(CQUEUES)
    assert.are.equal(0, rc, err)
    assert.are.equal(expected(path), out)
  end)
end)
