-- Lab 2.3b: which process opens which file?
-- bpftrace: t:syscalls:sys_enter_open,t:syscalls:sys_enter_openat { @[comm, str(args->filename)] = count(); }
local bpf = require "luabpf"

local opens = bpf.map()

local function count_open(e)
  opens[{ e.comm, bpf.str(e.args.filename) }] = bpf.count()
end
bpf.tracepoint("syscalls:sys_enter_open", count_open)
bpf.tracepoint("syscalls:sys_enter_openat", count_open)
