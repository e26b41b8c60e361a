-- Lab 2.1: does syscalls:sys_exit_exit exist, and does it ever fire?
-- It exists (the kernel makes an exit tracepoint for every syscall), but
-- exit(2) never returns to user space, so its exit tracepoint never fires:
-- the count stays empty and nothing is printed (empty maps are not).
-- bpftrace: tracepoint:syscalls:sys_exit_exit { @exits[comm] = count(); }
-- (compare syscalls:sys_enter_exit, which fires once per exiting thread)
local bpf = require "luabpf"

local exits = bpf.map()

bpf.tracepoint("syscalls:sys_exit_exit", function(e)
  exits[e.comm] = bpf.count()
end)
