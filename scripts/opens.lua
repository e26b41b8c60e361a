-- Lab 2.3a: which files are being opened, with open() or openat()?
-- bpftrace: t:syscalls:sys_enter_open,t:syscalls:sys_enter_openat { @[str(args->filename)] = count(); }
local bpf = require "luabpf"

local opens = bpf.map()

local function count_open(e)                 -- one handler, attached twice
  opens[bpf.str(e.args.filename)] = bpf.count()
end
bpf.tracepoint("syscalls:sys_enter_open", count_open)
bpf.tracepoint("syscalls:sys_enter_openat", count_open)
