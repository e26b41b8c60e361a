-- Lab 2.5: print the process name and the text of every write to fd 2
-- (stderr), whole, for messages up to 31 KiB.
-- bpftrace: config = { max_strlen = 31744 }
--           t:syscalls:sys_enter_write /args->fd == 2/ { printf("%s: %s\n", comm, str(args->buf)); }
-- str() reads up to the first NUL (or max_strlen bytes): the bytes of a
-- write need not end with one, so a message may show trailing bytes that
-- were not written; bpf.str(e.args.buf, e.args.count) stops at the count.
local bpf = require "luabpf"

bpf.config { max_strlen = 31744 }

bpf.tracepoint("syscalls:sys_enter_write", function(e)
  if e.args.fd == 2 then
    bpf.printf("%s: %s\n", e.comm, bpf.str(e.args.buf))
  end
end)
