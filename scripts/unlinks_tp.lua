-- Lab 3.1 on a kernel without kfunc: the files being unlinked, with comm
-- and the parent directory's name, from the syscall tracepoints.
-- usage: luabpf scripts/unlinks_tp.lua
-- Prints `comm file parent` for each successful unlink, the columns of
-- scripts/unlinks_parent.lua (kfunc:vfs_unlink, dentry->d_parent->d_name).
--
-- bpftrace (the kernel half; it cannot do the user-space half):
--   t:syscalls:sys_enter_unlink   { @path[tid] = str(args->pathname); @dfd[tid] = -100; }
--   t:syscalls:sys_enter_unlinkat /!(args->flag & 0x200)/
--                                 { @path[tid] = str(args->pathname); @dfd[tid] = args->dfd; }
--   t:syscalls:sys_exit_unlink,t:syscalls:sys_exit_unlinkat
--     /@path[tid] != ""/ { if (args->ret == 0) { printf("%s %d %d %s\n", comm, pid,
--                          @dfd[tid], @path[tid]); } delete(@path[tid]); delete(@dfd[tid]); }
--
-- The syscalls see the path as the program gave it, not a dentry: a
-- relative path is relative to the process's cwd (dfd AT_FDCWD) or to
-- the directory open on descriptor dfd (unlinkat).  The kernel half
-- records comm, pid, dfd and the path on entry and prints them when the
-- syscall returns 0 (vfs_unlink is reached only for names that exist;
-- unlinkat with AT_REMOVEDIR is rmdir, not unlink).  The printf records
-- come to Lua (bpf.on_printf), which resolves the directory the way a
-- user would: readlink /proc/PID/cwd or /proc/PID/fd/DFD, right away,
-- while the process still has that cwd or descriptor (`?` when it is
-- gone).  Paths are read up to 255 bytes.
local bpf = require "luabpf"
local AT_FDCWD, AT_REMOVEDIR = -100, 0x200

bpf.config { max_strlen = 256 }

local path, dfd = bpf.map(), bpf.map()       -- per thread, enter -> exit

bpf.tracepoint("syscalls:sys_enter_unlink", function(e)
  path[e.tid] = e.args.pathname
  dfd[e.tid] = AT_FDCWD
end)

bpf.tracepoint("syscalls:sys_enter_unlinkat", function(e)
  if (e.args.flag & AT_REMOVEDIR) == 0 then
    path[e.tid] = e.args.pathname
    dfd[e.tid] = e.args.dfd
  end
end)

local function unlinked(e)
  if path[e.tid] ~= "" then
    if e.args.ret == 0 then
      bpf.printf("%s\t%d\t%d\t%s\n", e.comm, e.pid, dfd[e.tid], path[e.tid])
    end
    path[e.tid] = nil
    dfd[e.tid] = nil
  end
end
bpf.tracepoint("syscalls:sys_exit_unlink", unlinked)
bpf.tracepoint("syscalls:sys_exit_unlinkat", unlinked)

-- User space: the directory, from /proc.
local function readlink(p)
  local f = io.popen("readlink -n " .. "'" .. p:gsub("'", "'\\''") .. "' 2>/dev/null")
  local target = f:read("a")
  f:close()
  return target ~= "" and target or nil
end

local function parent_name(comm_pid, fd, p)
  local dir, base = p:match("^(.*)/([^/]*)$")
  if not dir then dir, base = "", p end
  if p:sub(1, 1) ~= "/" then -- relative: to the cwd, or to the open dfd
    local at = readlink(string.format("/proc/%d/%s", comm_pid,
                                      fd == AT_FDCWD and "cwd" or ("fd/" .. fd)))
    if not at then return base, "?" end
    dir = dir == "" and at or (at .. "/" .. dir)
  end
  -- the last real component of dir (skip "." and empty ones; ".." is left as is)
  local last = "/"
  for c in dir:gmatch("[^/]+") do
    if c ~= "." then last = c end
  end
  return base, last
end

bpf.on_printf(function(text)
  local comm, pid, fd, p = text:match("^(.-)\t(%d+)\t(%-?%d+)\t(.*)\n$")
  if not comm then io.write(text); return end
  local file, parent = parent_name(tonumber(pid), tonumber(fd), p)
  io.write(comm, " ", file, " ", parent, "\n")
  io.flush()
end)
