-- Lab 1.4a: system calls of one process, per (pid, tid, comm).
-- bpftrace: tracepoint:syscalls:sys_enter_* /pid == $1/ { @[pid, tid, comm] = count(); }
-- usage: luabpf scripts/syscount_pid.lua PID
local bpf = require "luabpf"

local pid = tonumber(arg[1]) or error("usage: syscount_pid.lua PID")
local calls = bpf.map()

bpf.tracepoint("syscalls:sys_enter_*", function(e)
  if e.pid == pid then
    calls[{ e.pid, e.tid, e.comm }] = bpf.count()
  end
end)
