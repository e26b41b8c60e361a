-- Lab 2.3c: only the opens that create temporary files (O_TMPFILE).
-- bpftrace: t:syscalls:sys_enter_openat {
--             if ((args->flags & O_TMPFILE) == O_TMPFILE) { printf("tmpfile: %s\n", str(args->filename)); } }
-- O_TMPFILE is two bits (__O_TMPFILE | O_DIRECTORY), hence "== O_TMPFILE"
-- and not "~= 0": a plain O_DIRECTORY open must not count.
-- Lua's precedence differs from C's: "==" binds tighter than "&", so
-- "e.args.flags & O_TMPFILE == O_TMPFILE" would mean
-- "e.args.flags & (O_TMPFILE == O_TMPFILE)". Keep the parentheses.
local bpf = require "luabpf"
local O_TMPFILE = bpf.constants.O_TMPFILE    -- from the system headers

bpf.tracepoint("syscalls:sys_enter_openat", function(e)
  if (e.args.flags & O_TMPFILE) == O_TMPFILE then
    bpf.printf("tmpfile: %s\n", bpf.str(e.args.filename))
  end
end)
