-- Lab 1.2: system calls per process.
-- bpftrace: tracepoint:syscalls:sys_enter_* { @[comm] = count(); }
-- One attach to raw_syscalls stands in for the ~360 sys_enter_* probes.
local bpf = require "luabpf"

local calls = bpf.map()

bpf.tracepoint("syscalls:sys_enter_*", function(e)
  calls[e.comm] = bpf.count()
end)
