-- Lab 1.2, third form: an increment, compiled to a per-CPU add.
-- bpftrace: tracepoint:syscalls:sys_enter_* { @[comm]++; }
local bpf = require "luabpf"

local calls = bpf.map()

bpf.tracepoint("syscalls:sys_enter_*", function(e)
  calls[e.comm] = calls[e.comm] + 1
end)
