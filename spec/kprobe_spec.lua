-- Kernel-function probes (kprobe, kretprobe, kfunc, kretfunc) on a kernel
-- that has them: tagged #kprobe. This project's machines refuse both, so
-- `make test` skips these (and says how many); `make vmtest` runs them in
-- Debian's 6.1 and 6.12 kernels under qemu (spec/vmtest/run), where /tmp
-- is a tmpfs of the guest's own: vfs_* run once per call there (on an
-- overlay root they would run twice, overlayfs calling the upper's).
-- Every figure is exact: kprobeme unlinks exactly N files, tempfiles opens
-- a path exactly K times, all under a comm of their own.
local H = require "spec.helper"
local lines = H.lines

local N = 40

-- kprobeme makes N unlinks in a fresh directory under /tmp; returns its
-- output ("unlinked PATH" lines), its comm and the directory.
local function unlinker()
  local comm, dir = H.comm("lbk"), H.tmpdir()
  local out = H.run(string.format("%skprobeme --iterations %d --period-ms 0 --comm %s --tmpdir %s",
                                  H.bin, N, comm, H.quote(dir)))
  return out, comm, dir
end

-- Run handler code with the tracer while kprobeme unlinks: rc, stdout,
-- stderr, kprobeme's output, its comm and directory.
local function trace_unlinks(code)
  local t = H.tracer { "-e", code }
  local done, comm, dir = unlinker()
  local rc, out, err = H.stop(t)
  os.execute("rm -rf " .. H.quote(dir))
  return rc, out, err, done, comm, dir
end

-- Handlers key maps by {comm, ...}: the entries of one comm, by the rest
-- of the key.
local function of_comm(maps, name, comm)
  local got = {}
  for k, v in pairs(maps[name] or {}) do
    local c, rest = k:match("^([^,]+), (.*)$")
    if (c or k) == comm then got[rest or k] = v end
  end
  return got
end

-- "unlinked /tmp/luabpf-spec.X/kprobemeY" -> { "COMM kprobemeY", ... }
local function unlinked_names(done, comm, with_parent)
  local want = {}
  for p in done:gmatch("unlinked ([^\n]*)\n") do
    local dir, base = p:match("^(.*)/([^/]+)$")
    want[#want + 1] = comm .. " " .. base .. (with_parent and (" " .. dir:match("([^/]+)$")) or "")
  end
  return want
end

local function of_comm_lines(out, comm)
  local got = {}
  for _, l in ipairs(lines(out)) do
    if l:sub(1, #comm + 1) == comm .. " " then got[#got + 1] = l end
  end
  return got
end

-- kprobe vfs_unlink+off through a session, as a host would: nil when it
-- attaches (then detached at once), else the one-line refusal.
local function kprobe_offset_error(off)
  local bpf = require "luabpf"
  local s = bpf.session()
  s:kprobe("vfs_unlink+" .. off, function(e) end)
  local ok, err = pcall(s.start, s)
  s:close()
  return not ok and err or nil
end

describe("kernel functions #kprobe", function()
  setup(function() assert.is_true(H.is_root(), "kernel specs run as root") end)

  it("kprobe: every vfs_unlink of the workload, exactly " .. N, function()
    local rc, out, err, _, comm = trace_unlinks(
      'local m = map() kprobe("vfs_unlink", function(e) m[{e.comm, e.func}] = count() end)')
    assert.are.equal(0, rc, err)
    assert.are.same({ vfs_unlink = N }, of_comm(H.parse_maps(out), "m", comm))
  end)

  it("kprobe with an offset: inside an instruction it says so; at the next instruction it counts "
     .. N, function()
    -- vfs_unlink starts with the 5-byte ftrace call site (after a 4-byte
    -- endbr64 where the kernel has IBT, as 6.12 has): offsets inside an
    -- instruction are refused with EILSEQ, and luabpf's message says so
    local off = 1
    while true do
      local err = kprobe_offset_error(off)
      if not err then break end
      assert.are.equal(string.format(
        "kprobe:vfs_unlink+%d: offset %d is inside an instruction of vfs_unlink; a kprobe " ..
        "offset must be where an instruction starts (see objdump -d or gdb's disassemble of " ..
        "the function)", off, off), err)
      off = off + 1
      assert.is_true(off <= 9, "no instruction boundary in vfs_unlink's first 9 bytes")
    end
    -- the first boundary after the ftrace site: 5 (no IBT) or 4 (IBT's
    -- endbr64, then the ftrace site itself)
    assert.is_true(off == 4 or off == 5, "first boundary at +" .. off)
    local rc, out, err, _, comm = trace_unlinks(string.format(
      'local m = map() kprobe("vfs_unlink+%d", function(e) m[{e.comm, e.probe}] = count() end)',
      off))
    assert.are.equal(0, rc, err)
    assert.are.same({ ["kprobe:vfs_unlink+" .. off] = N }, of_comm(H.parse_maps(out), "m", comm))
  end)

  it("kprobe offset not at an instruction boundary: one line from the CLI, exit 1", function()
    local rc, out, err = H.run_rc(H.luabpf .. " -e " .. H.quote(
      'kprobe("vfs_read+1", function(e) print(e.pid) end)'))
    assert.are.equal(1, rc, err)
    assert.are.equal("", out)
    assert.are.equal("luabpf: kprobe:vfs_read+1: offset 1 is inside an instruction of vfs_read; " ..
      "a kprobe offset must be where an instruction starts (see objdump -d or gdb's " ..
      "disassemble of the function)\n", err)
  end)

  it("3.4 kprobe_vfs_read.lua: vfs_read() calls per comm, one per kprobeme iteration", function()
    local t = H.tracer("scripts/kprobe_vfs_read.lua")
    local done, comm, dir = unlinker() -- each iteration reads /proc/uptime once
    local rc, out, err = H.stop(t)
    os.execute("rm -rf " .. H.quote(dir))
    assert.are.equal(0, rc, err)
    assert.are.equal(N, #unlinked_names(done, comm))
    assert.are.equal(N, H.parse_maps(out).reads[comm], out:sub(1, 2000))
  end)

  it("kretprobe: e.retval of every vfs_unlink is 0, " .. N .. " times", function()
    local rc, out, err, _, comm = trace_unlinks(
      'local m = map() kretprobe("vfs_unlink", function(e) m[{e.comm, e.retval}] = count() end)')
    assert.are.equal(0, rc, err)
    assert.are.same({ ["0"] = N }, of_comm(H.parse_maps(out), "m", comm))
  end)

  it("kfunc with BTF-typed args: unlinks.lua prints each file's name (dentry.d_name.name)", function()
    local t = H.tracer("scripts/unlinks.lua")
    local done, comm, dir = unlinker()
    local rc, out, err = H.stop(t)
    os.execute("rm -rf " .. H.quote(dir))
    assert.are.equal(0, rc, err)
    assert.are.equal(N, #unlinked_names(done, comm))
    assert.are.same(unlinked_names(done, comm), of_comm_lines(out, comm))
  end)

  it("kfunc pointer chain: unlinks_parent.lua adds dentry.d_parent.d_name.name", function()
    local t = H.tracer("scripts/unlinks_parent.lua")
    local done, comm, dir = unlinker()
    local rc, out, err = H.stop(t)
    os.execute("rm -rf " .. H.quote(dir))
    assert.are.equal(0, rc, err)
    assert.are.same(unlinked_names(done, comm, true), of_comm_lines(out, comm))
  end)

  it("kretfunc: e.retval and the typed args together, " .. N .. " times", function()
    local rc, out, err, _, comm = trace_unlinks([[
      local m = map()
      kretfunc("vfs_unlink", function(e)
        m[{e.comm, e.retval, bpf.str(e.args.dentry.d_name.name, 8)}] = count()
      end)]])
    assert.are.equal(0, rc, err)
    -- every name is kprobemeXXXXXX: its first 7 bytes (8 with the NUL)
    assert.are.same({ ["0, kprobem"] = N }, of_comm(H.parse_maps(out), "m", comm))
  end)

  it("kfunc wildcard: vfs_*link attaches to every match; only vfs_unlink fires, " .. N .. " times",
     function()
    local listed = lines(H.run(H.luabpf .. " -l 'kfunc:vfs_*link'"))
    assert.is_true(#listed >= 4, table.concat(listed, "\n")) -- vfs_link, vfs_readlink, vfs_symlink, vfs_unlink
    local t = H.tracer { "-e", 'local m = map() kfunc("vfs_*link", function(e) m[{e.comm, e.func}] = count() end)' }
    local done, comm, dir = unlinker()
    local rc, out, err, attached = H.stop(t)
    os.execute("rm -rf " .. H.quote(dir))
    assert.are.equal(0, rc, err)
    assert.are.equal(string.format("Attaching %d probes...", #listed), attached)
    assert.are.same({ vfs_unlink = N }, of_comm(H.parse_maps(out), "m", comm))
    assert.are.equal(N, #unlinked_names(done, comm))
  end)

  it("kprobe wildcard: -l 'kprobe:vfs_*link' is bpftrace's list; each attached, vfs_unlink fires "
     .. N .. " times", function()
    local want = H.run("bpftrace -l 'kprobe:vfs_*link'")
    local listed = lines(want)
    assert.is_true(#listed >= 4, want) -- vfs_link, vfs_readlink, vfs_symlink, vfs_unlink
    assert.are.equal(want, H.run(H.luabpf .. " -l 'kprobe:vfs_*link'"))
    local t = H.tracer { "-e", 'local m = map() kprobe("vfs_*link", function(e) m[{e.comm, e.func}] = count() end)' }
    local done, comm, dir = unlinker()
    local rc, out, err, attached = H.stop(t)
    os.execute("rm -rf " .. H.quote(dir))
    assert.are.equal(0, rc, err)
    assert.are.equal(string.format("Attaching %d probes...", #listed), attached)
    assert.are.same({ vfs_unlink = N }, of_comm(H.parse_maps(out), "m", comm))
    assert.are.equal(N, #unlinked_names(done, comm))
  end)

  it("a kprobe refused after a wildcard attached leaves nothing attached", function()
    local before = H.live_programs()
    local rc, out = H.luabpf_output("-e " .. H.quote([[
      local m = map()
      kprobe("vfs_*link", function(e) m[e.func] = count() end)
      kfunc("vfs_unlink", function(e) m[e.func] = count() end)
      kprobe("vfs_read+1", function(e) m[e.func] = count() end)]]))
    assert.are.equal(1, rc, out)
    assert.is_truthy(out:find("kprobe:vfs_read+1: offset 1 is inside an instruction", 1, true), out)
    assert.are.equal(before, H.live_programs_settled(before))
  end)

  it("kprobe wildcard matching nothing: one line naming the pattern", function()
    local rc, out = H.luabpf_output("-e " .. H.quote('kprobe("no_such_fn_*", function(e) end)'))
    assert.are.equal(1, rc, out)
    assert.are.equal("luabpf: -e:1: no kernel function matches 'no_such_fn_*' (luabpf -l " ..
      "'kprobe:PATTERN' lists them)\n", out)
  end)

  it("luabpf -lv 'kfunc:vfs_unlink' is bpftrace's listing, byte for byte", function()
    local want = H.run("bpftrace -lv 'kfunc:vfs_unlink'")
    assert.is_truthy(want:find("^kfunc:vmlinux:vfs_unlink\n"), want)
    assert.are.equal(want, H.run(H.luabpf .. " -lv 'kfunc:vfs_unlink'"))
  end)

  it("lock: mutex_lock keyed by bpf.ksym(lock), by kprobe and kfunc, as bpftrace 0.17 names it",
     function()
    -- opening a misc device (/dev/cpu_dma_latency: power management QoS,
    -- always there) takes the global mutex misc_mtx once, in misc_open();
    -- like bcc, ksym skips data symbols, so it prints as the nearest
    -- other symbol below (a weak object on Debian's kernels)
    local K, comm = 30, H.comm("lbm")
    local bt = H.spawn("bpftrace -e " .. H.quote(string.format(
      'kprobe:mutex_lock /comm == "%s"/ { @[ksym(arg0)] = count(); }', comm)))
    H.wait_for(bt, "out", "Attaching %d+ probes?", 300) -- bpftrace starts slowly under TCG
    local kp = H.tracer { "-e", [[
      local m = map()
      kprobe("mutex_lock", function(e) m[{e.comm, bpf.ksym(e.arg0)}] = count() end)]] }
    local kf = H.tracer { "-e", [[
      local m = map()
      kfunc("mutex_lock", function(e) m[{e.comm, bpf.ksym(e.args.lock)}] = count() end)]] }
    H.run(string.format("%stempfiles --count 1 --comm %s --open /dev/cpu_dma_latency:%d",
                        H.bin, comm, K))
    local want = {}
    -- bpftrace: TERM (a background bpftrace may ignore INT), and time to
    -- detach and print under TCG
    H.sleep(1.5)
    H.signal(bt, "TERM")
    local rc, out, err = H.finish(bt, 180)
    assert.are.equal(0, rc, err)
    local top
    for sym, n in out:gmatch("@%[([^\n]*)%]: (%d+)\n") do
      want[sym] = (want[sym] or 0) + tonumber(n) -- bpftrace keys by address
      if tonumber(n) == K then top = sym end
    end
    assert.is_truthy(top, "bpftrace saw no lock taken " .. K .. " times:\n" .. out)
    for _, t in ipairs { kp, kf } do
      H.signal(t, "INT")
      local trc, tout, terr = H.finish(t, 180)
      assert.are.equal(0, trc, terr)
      local got, once = {}, false
      for sym, n in tout:gmatch("@m%[" .. comm .. ", ([^\n]*)%]: (%d+)\n") do
        got[sym] = (got[sym] or 0) + tonumber(n)
        once = once or (sym == top and tonumber(n) == K)
      end
      assert.is_true(once, top .. " " .. K .. " times:\n" .. tout)
      assert.are.same(want, got)
    end
  end)
end)

-- Where the kernel has no kprobes (this machine): the kprobe listing and
-- a kprobe glob say so in one line.
describe("kprobe globs without kprobes #nokprobe", function()
  for _, args in ipairs { "-l 'kprobe:vfs_*'", "-e " .. H.quote('kprobe("vfs_*", function(e) end)') } do
    it("luabpf " .. args .. ": one line, no kprobes here, exit 1", function()
      local rc, out = H.luabpf_output(args)
      assert.are.equal(1, rc, out)
      assert.are.equal(1, #lines(out), out)
      assert.is_truthy(out:find("no kprobes to list", 1, true), out)
      assert.is_nil(out:find("runner.lua", 1, true), out)
    end)
  end
end)
