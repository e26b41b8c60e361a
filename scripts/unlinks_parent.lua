-- Lab 3.1b: the files being unlinked, with the name of their parent
-- directory.
-- bpftrace: kfunc:vfs_unlink { printf("%s %s %s\n", comm, str(args.dentry->d_name.name),
--                                     str(args.dentry->d_parent->d_name.name)); }
-- The parent is one more step along the pointer chain: dentry->d_parent
-- is a struct dentry * too.  (Only its own name: "tmp" for /tmp/x.)
--
-- Where the kernel refuses kfunc (fentry) programs the script stops at
-- load with one sentence saying so; scripts/unlinks_tp.lua prints the
-- same three columns from the syscall tracepoints.
local bpf = require "luabpf"

bpf.kfunc("vfs_unlink", function(e)
  bpf.printf("%s %s %s\n", e.comm, bpf.str(e.args.dentry.d_name.name),
             bpf.str(e.args.dentry.d_parent.d_name.name))
end)
