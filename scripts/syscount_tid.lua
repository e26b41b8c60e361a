-- Lab 1.4b: which system calls one thread of a process makes.
-- bpftrace: tracepoint:syscalls:sys_enter_* /pid == $1 && tid == $2/ { @[probe] = count(); }
-- usage: luabpf scripts/syscount_tid.lua PID TID
local bpf = require "luabpf"

local pid = tonumber(arg[1]) or error("usage: syscount_tid.lua PID TID")
local tid = tonumber(arg[2]) or error("usage: syscount_tid.lua PID TID")
local calls = bpf.map()

bpf.tracepoint("syscalls:sys_enter_*", function(e)
  if e.pid == pid and e.tid == tid then
    calls[e.probe] = bpf.count()
  end
end)
