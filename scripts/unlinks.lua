-- Lab 3.1a: the names of the files being unlinked, with the process that
-- unlinks them, from the kernel function that does it.
-- bpftrace: kfunc:vfs_unlink { printf("%s %s\n", comm, str(args.dentry->d_name.name)); }
-- `luabpf -lv 'kfunc:vfs_unlink'` (bpftrace -lv) shows the typed arguments;
-- e.args.dentry is a struct dentry *, and the chain below reads
-- dentry->d_name.name (a kernel char *) the way bpftrace does.
--
-- kfunc probes are fentry programs: kernels that refuse them (this
-- project's VM answers EPERM even to root) stop the script at load with
-- one sentence saying so; scripts/unlinks_tp.lua answers the same
-- question from the unlink/unlinkat syscall tracepoints.
local bpf = require "luabpf"

bpf.kfunc("vfs_unlink", function(e)
  bpf.printf("%s %s\n", e.comm, bpf.str(e.args.dentry.d_name.name))
end)
