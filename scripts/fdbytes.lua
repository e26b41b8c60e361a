-- Lab 1.1: bytes written per file descriptor by one process, by name.
-- bpftrace: t:syscalls:sys_enter_write /comm == "hhvm"/ { @[args->fd] = sum(args->count); }
-- usage: luabpf scripts/fdbytes.lua [COMM]      (default: hhvm)
local bpf = require "luabpf"

local comm = arg[1] or "hhvm"
local bytes = bpf.map()

bpf.tracepoint("syscalls:sys_enter_write", function(e)
  if e.comm == comm then
    bytes[e.args.fd] = bpf.sum(e.args.count)
  end
end)
