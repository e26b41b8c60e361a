-- Lab part 3 (kernel probes), scripts 3.1-3.4, against workloads of known
-- behaviour: kprobeme (opens of /proc/uptime, 1 fd in 5 leaked, temp
-- files unlinked) and contention (threads fighting over an mm's
-- mmap_lock).  On this project's VM kfunc (fentry) programs are refused
-- and kprobes do not exist: the kfunc and kprobe scripts must stop with
-- one clear sentence (#nokprobe: run where the kernel refuses them), and
-- unlinks_tp.lua answers 3.1 instead.  Where the kernel has them,
-- spec/kprobe_spec.lua (#kprobe) runs these scripts for real.
local H = require "spec.helper"
local run_rc, lines = H.run_rc, H.lines

-- A fresh directory under /tmp whose last component is unique: the
-- parent-directory name the unlink scripts must print.
local function unique_dir()
  local d = H.tmpdir() .. "/" .. H.comm("lbud")
  H.run("mkdir -p " .. H.quote(d))
  return d
end

-- "unlinked PATH" lines of kprobeme -> { "comm base parent", ... }
local function expected_unlinks(out, comm)
  local want = {}
  for p in out:gmatch("unlinked ([^\n]*)\n") do
    local dir, base = p:match("^(.*)/([^/]+)$")
    want[#want + 1] = string.format("%s %s %s", comm, base, dir:match("([^/]+)$"))
  end
  return want
end

-- The one-sentence refusal: rc 1, nothing on stdout, a single line on
-- stderr, no Lua traceback or module-internal position in it.
local function assert_refusal(rc, out, err)
  assert.are.equal(1, rc, err)
  assert.are.equal("", out)
  local ls = lines(err)
  assert.are.equal(1, #ls, err)
  assert.is_nil(err:find("traceback", 1, true), err)
  assert.is_nil(err:find("luabpf/init.lua", 1, true), "internal position in: " .. err)
  return ls[1]
end

-- A histogram label's number: 8K -> 8192
local function bytes(label)
  local n, unit = label:match("^(%d+)([KMG]?)$")
  return tonumber(n) * ({ [""] = 1, K = 1024, M = 1024 ^ 2, G = 1024 ^ 3 })[unit]
end

describe("lab 3: kernel probes #kernel", function()
  setup(function() assert.is_true(H.is_root(), "kernel specs run as root") end)

  for _, script in ipairs { "unlinks", "unlinks_parent" } do
    it("3.1 " .. script .. ".lua (kfunc:vfs_unlink) stops with one sentence: no fentry here, use a tracepoint #nokprobe",
      function()
        local rc, out, err = run_rc(H.luabpf .. " scripts/" .. script .. ".lua")
        local msg = assert_refusal(rc, out, err)
        assert.is_truthy(msg:find("kfunc", 1, true), msg)
        assert.is_truthy(msg:find("fentry", 1, true), msg)
        assert.is_truthy(msg:find("vfs_unlink", 1, true), msg)
        assert.is_truthy(msg:find("tracepoint", 1, true), msg)
      end)
  end

  it("bpf.kretfunc (fexit) stops with the same one sentence, naming the probe #nokprobe", function()
    local rc, out, err = run_rc(H.luabpf .. " -e " .. H.quote(
      'local m = map() kretfunc("do_sys_openat2", function(e) m[e.comm] = count() end)'))
    assert.are.equal("luabpf: kretfunc:do_sys_openat2: this kernel does not permit kfunc " ..
      "(fentry/fexit) programs, even as root; use a tracepoint, or a BTF raw tracepoint " ..
      "with bpf.rawtracepoint()", assert_refusal(rc, out, err))
  end)

  it("3.1 unlinks_tp.lua prints comm, file and parent directory of every unlink", function()
    local comm, dir = H.comm("lbu"), unique_dir()
    local t = H.tracer("scripts/unlinks_tp.lua")
    local done = H.run(string.format("%skprobeme --iterations 6 --period-ms 20 --comm %s --tmpdir %s",
                                     H.bin, comm, H.quote(dir)))
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local want = expected_unlinks(done, comm)
    assert.are.equal(6, #want)
    local got = {}
    for _, l in ipairs(lines(out)) do
      if l:sub(1, #comm + 1) == comm .. " " then got[#got + 1] = l end
    end
    assert.are.same(want, got)
    os.execute("rm -rf " .. H.quote(dir:match("^(.*)/")))
  end)

  it("3.1 unlinks_tp.lua resolves unlinkat(dirfd, name) through the open directory", function()
    local comm, dir = H.comm("lbu"), unique_dir()
    local t = H.tracer("scripts/unlinks_tp.lua")
    -- relative names, unlinked with unlinkat(dirfd of DIR, name, 0); the
    -- workload lingers so /proc/PID/fd/DIRFD is still there to read
    local done = H.run(string.format("%skprobeme --iterations 4 --period-ms 20 --comm %s --tmpdir %s"
                                     .. " --unlinkat --linger-ms 500", H.bin, comm, H.quote(dir)))
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local got = {}
    for _, l in ipairs(lines(out)) do
      if l:sub(1, #comm + 1) == comm .. " " then got[#got + 1] = l end
    end
    assert.are.same(expected_unlinks(done, comm), got)
    os.execute("rm -rf " .. H.quote(dir:match("^(.*)/")))
  end)

  it("3.2a lock_contention.lua prints the contentions longer than the threshold", function()
    local comm, threshold = H.comm("lbl"), 10000
    local t = H.tracer("scripts/lock_contention.lua", tostring(threshold))
    local done = H.run(H.bin .. "contention --threads 4 --ms 1500 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local tids = {}
    for tid in done:match("tids=([%d,]+)"):gmatch("%d+") do tids[tonumber(tid)] = true end
    local n, locks = 0, {}
    for _, l in ipairs(lines(out)) do
      if l:sub(1, #comm + 1) == comm .. " " then
        local tid, lock, d = l:match("^%S+ tid (%d+) lock (0x%x+) waited (%d+) ns$")
        assert.is_truthy(tid, l)
        assert.is_true(tids[tonumber(tid)], "tid " .. tid .. " is one of the workload's")
        assert.is_true(tonumber(d) > threshold, l)
        locks[lock] = true
        n = n + 1
      end
    end
    assert.is_true(n > 0, "no long contention seen:\n" .. out:sub(1, 2000))
    assert.is_not_nil(next(locks))
  end)

  it("3.2b/c lock_hist.lua prints @long_block_times per lock, and not the scratch map", function()
    local comm = H.comm("lbl")
    local t = H.tracer("scripts/lock_hist.lua", "10000")
    H.run(H.bin .. "contention --threads 4 --ms 1500 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.is_truthy(out:find("@long_block_times%[[^\n]+%]: \n%[%d+[KMG]?, %d+[KMG]?%)%s+%d+ |"), out)
    assert.is_nil(out:find("@start", 1, true), "the scratch map is cleared at END:\n" .. out)
    assert.is_nil(out:find("@kinds", 1, true), out) -- only with `detail`
    -- every bucket is above the threshold: the lowest is [8K, 16K) or higher
    local rows = 0
    for name, body in out:gmatch("@([%w_]+)%[[^\n]*%]: \n(.-)\n\n") do
      assert.are.equal("long_block_times", name)
      for low in body:gmatch("%[(%d+[KMG]?),") do
        assert.is_true(bytes(low) >= 8192, "bucket " .. low)
        rows = rows + 1
      end
    end
    assert.is_true(rows > 0, out)
  end)

  it("3.2d lock_hist.lua detail: lock kinds from the flags, symbol and stack of long waits", function()
    local comm = H.comm("lbl")
    local t = H.tracer("scripts/lock_hist.lua", "10000", "detail")
    H.run(H.bin .. "contention --threads 4 --ms 1500 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    -- mmap_lock is an rw semaphore: mmap/munmap wait as writers
    local kinds = H.parse_maps(out).kinds or {}
    assert.is_true((kinds.rwsem_write or 0) > 0, out:sub(-2000))
    -- "comm waited N ns for SYMBOL-or-address" then a kernel stack
    local s = out:find(comm .. " waited %d+ ns for %S+\n")
    assert.is_truthy(s, out:sub(1, 2000))
    assert.is_truthy(out:find("\n%s+[%w_.]+%+%d+\n", s), "a kernel stack follows")
    assert.is_nil(out:find("@start", 1, true))
    assert.is_truthy(out:find("@long_block_times[", 1, true))
  end)

  it("3.3a kprobeme_file.lua with -p PID: the file is /proc/uptime, once per iteration", function()
    local w = H.workload(H.bin .. "kprobeme --wait-signal --iterations 7 --period-ms 10")
    local t = H.tracer { "-p", tostring(w.wpid), "scripts/kprobeme_file.lua" }
    -- another process's open syscalls must not show
    H.run(H.bin .. "tempfiles --count 1 --period-ms 0 --path /lbnot/tmp/ --sys-open /lbnot/traced:3")
    H.signal(w, "USR1")
    assert.are.equal(0, (H.finish(w)))
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local want = {}
    for i = 1, 7 do want[i] = "/proc/uptime" end
    assert.are.same(want, lines(out))
  end)

  it("3.3b kprobeme_fds.lua: the fd of each open; four reuse one, the fifth leaks it", function()
    local n = 12
    local w = H.workload(H.bin .. "kprobeme --wait-signal --period-ms 10 --iterations " .. n)
    local t = H.tracer { "-p", tostring(w.wpid), "scripts/kprobeme_fds.lua" }
    H.signal(w, "USR1")
    local wrc, wout = H.finish(w)
    assert.are.equal(0, wrc)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local base = tonumber(wout:match("leaked=%d+ fds=(%d+)"))
    local want = {}
    for i = 0, n - 1 do
      -- i = 0 gets base (leaked); i = 1..5 base+1 (5 leaks it); 6..10 base+2 ...
      want[#want + 1] = string.format("/proc/uptime: %d", base + (i + 4) // 5)
    end
    assert.are.same(want, lines(out))
  end)

  it("3.3c kprobeme_leak.lua (-c CMD): exactly iterations/5 descriptors never closed", function()
    local n, comm = 20, H.comm("lbk")
    local p = H.spawn(string.format("%s -c %s scripts/kprobeme_leak.lua", H.luabpf,
                                    H.quote(H.bin .. "kprobeme --period-ms 5 --iterations " .. n
                                            .. " --comm " .. comm)))
    local rc, out, err = H.finish(p, 30) -- -c: it ends when the command ends
    assert.are.equal(0, rc, err)
    local leaked = out:match("leaked=(%d+) fds=([%d,]+)")
    assert.are.equal(n // 5, tonumber(leaked), out)
    local want = {}
    for fd in out:match("leaked=%d+ fds=([%d,]+)"):gmatch("%d+") do want[fd] = 1 end
    assert.are.same(want, H.parse_maps(out).fds)
    assert.is_truthy(out:find("/proc/uptime descriptors never closed: " .. n // 5 .. "\n", 1, true), out)
    assert.is_nil(out:find("@want", 1, true), out) -- cleared at END
  end)

  it("3.3c kprobeme_leak.lua with -p PID on a running kprobeme", function()
    local n = 15
    local w = H.workload(H.bin .. "kprobeme --wait-signal --period-ms 5 --iterations " .. n)
    local t = H.tracer { "-p", tostring(w.wpid), "scripts/kprobeme_leak.lua" }
    H.signal(w, "USR1")
    local wrc, wout = H.finish(w)
    assert.are.equal(0, wrc)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local want = {}
    for fd in wout:match("leaked=3 fds=([%d,]+)"):gmatch("%d+") do want[fd] = 1 end
    assert.are.same(want, H.parse_maps(out).fds)
  end)

  for _, probe in ipairs { "vfs_read", "vfs_read+8" } do
    it("3.4 kprobe_vfs_read.lua " .. probe .. ": no kprobes in this kernel, one sentence naming kfunc #nokprobe", function()
      local rc, out, err = run_rc(H.luabpf .. " scripts/kprobe_vfs_read.lua " .. H.quote(probe))
      local msg = assert_refusal(rc, out, err)
      assert.is_truthy(msg:find("kprobe", 1, true), msg)
      assert.is_truthy(msg:find("vfs_read", 1, true), msg)
      assert.is_truthy(msg:find("CONFIG_KPROBES", 1, true) or msg:find("no kprobes", 1, true), msg)
      assert.is_truthy(msg:find("kfunc", 1, true), msg)
    end)
  end

  it("3.4 kretprobe: the same sentence #nokprobe", function()
    local rc, out, err = run_rc(H.luabpf .. " -e " ..
      H.quote("local m = map() kretprobe('vfs_read', function(e) m[e.comm] = sum(e.retval) end)"))
    local msg = assert_refusal(rc, out, err)
    assert.is_truthy(msg:find("kretprobe", 1, true), msg)
    assert.is_truthy(msg:find("kfunc", 1, true), msg)
  end)

  it("3.0 a BTF raw tracepoint loads here: sched_switch's typed args", function()
    local comm = H.comm("lbr")
    local t = H.tracer { "-e", [[
      local switches = map()
      rawtracepoint("sched_switch", function(e)
        switches[e.args.prev.comm] = count()
      end)]] }
    H.run(H.bin .. "core --rounds 2 --calls 10 --seed 3")
    H.run(H.bin .. "syscaller --calls 10 --linger-ms 50 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local m = H.parse_maps(out).switches or {}
    -- each sysCallTH thread sleeps twice: it is switched out at least twice
    for k = 1, 5 do assert.is_true((m["sysCallTH" .. k] or 0) >= 2, "sysCallTH" .. k) end
    assert.is_true((m[comm] or 0) >= 1, comm)
  end)
end)
