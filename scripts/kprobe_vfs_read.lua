-- Lab 3.4: a kprobe: vfs_read() calls per process.
-- bpftrace: kprobe:vfs_read { @[comm] = count(); }
--           (and with an offset into the function: kprobe:vfs_read+8)
-- kprobe("func") / kprobe("func+off"), kretprobe("func"): e.arg0..e.arg5
-- are the function's arguments, e.retval the return value.
-- A kernel built without CONFIG_KPROBES (this project's VM) has no
-- kprobes at all: the script stops at load with one sentence that says
-- so and points at kfunc (fentry) and tracepoints; on such a kernel,
-- bpf.kfunc("vfs_read", ...) where it is permitted, or the read
-- syscalls' tracepoints, answer the question.
local bpf = require "luabpf"

local reads = bpf.map()

bpf.kprobe(arg[1] or "vfs_read", function(e)
  reads[e.comm] = bpf.count()
end)
