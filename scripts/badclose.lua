-- Lab 2.4: close() calls on descriptors that are not open: print the fd
-- whenever close() returns -EBADF.
-- bpftrace: t:syscalls:sys_enter_close { @[tid] = args->fd; }
--           t:syscalls:sys_exit_close { if (args->ret == -EBADF) { print(@[tid]); } delete(@[tid]); }
-- The fd is an argument of the entry, the error a result of the exit:
-- the map carries it across, per thread.
local bpf = require "luabpf"
local EBADF = bpf.constants.EBADF            -- 9, from the system headers

local fds = bpf.map()

bpf.tracepoint("syscalls:sys_enter_close", function(e)
  fds[e.tid] = e.args.fd
end)

bpf.tracepoint("syscalls:sys_exit_close", function(e)
  if e.args.ret == -EBADF then
    bpf.print(fds[e.tid])
  end
  fds[e.tid] = nil                           -- delete
end)
