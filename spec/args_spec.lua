-- Tracepoint arguments by name on syscall wildcards, and listing probes.
local H = require "spec.helper"

local luabpf = H.luabpf_output

describe("tracepoint args #kernel", function()
  it("a field every matched syscall has at one place keeps the raw fast path", function()
    local comm = H.comm("lbnr")
    local t = H.tracer { "-e", [[
      local m, target = map(), arg[1]
      tracepoint("syscalls:sys_enter_*", function(e)
        if e.comm == target then m[e.args.__syscall_nr] = count() end
      end)]], comm }
    H.run(H.bin .. "syscaller --calls 250 --comm " .. comm)
    local rc, out, _, attached = H.stop(t)
    assert.are.equal(0, rc)
    assert.are.equal("Attaching 1 probe...", attached) -- one raw program
    assert.are.equal(250, H.parse_maps(out).m["110"]) -- getppid is syscall 110
  end)

  it("a field at different places attaches the matched syscalls one by one, saying so", function()
    -- unlink(pathname) has it as argument 0, unlinkat(dfd, pathname, flag) as 1
    local base = "/tmp/" .. H.comm("lbul")
    local t = H.tracer { "-e", [[
      local m = map()
      tracepoint("syscalls:sys_enter_unlink*", function(e) m[{e.probe, e.args.pathname}] = count() end)]] }
    H.run(string.format("touch %s.a %s.b && perl -e 'unlink $ARGV[0]' %s.a && rm %s.b", base, base, base, base))
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc)
    assert.are.equal("Warning: e.args.pathname is not at the same place in every syscall of " ..
      "syscalls:sys_enter_unlink*: attaching 2 tracepoints one by one\n", err)
    local m = H.parse_maps(out).m
    assert.are.equal(1, m["tracepoint:syscalls:sys_enter_unlink, " .. base .. ".a"])
    assert.are.equal(1, m["tracepoint:syscalls:sys_enter_unlinkat, " .. base .. ".b"])
  end)

  it("a field some matched syscalls lack is an error naming them", function()
    local rc, out = luabpf("-e " .. H.quote([[local m = map() tracepoint("syscalls:sys_enter_get*id", function(e) m[e.args.pid] = count() end)]]))
    assert.are.equal(1, rc)
    assert.is_truthy(out:find("has no field 'pid'", 1, true), out)
    assert.is_truthy(out:find("these matched tracepoints lack it: syscalls:sys_enter_getegid, syscalls:sys_enter_geteuid, syscalls:sys_enter_getgid, syscalls:sys_enter_getpid, syscalls:sys_enter_getppid, syscalls:sys_enter_getresgid, syscalls:sys_enter_getresuid, syscalls:sys_enter_gettid, syscalls:sys_enter_getuid (9 of 11)", 1, true), out)
  end)

  it("typed args from the kernel's BTF: a wrong member lists the struct's members", function()
    local rc, out = luabpf("-e " .. H.quote([[local m = map() kfunc("vfs_unlink", function(e) m[e.args.dentry.d_parnt] = count() end)]]))
    assert.are.equal(1, rc)
    assert.are.equal([[
luabpf: -e:1:65: struct dentry has no member 'd_parnt'
local m = map() kfunc("vfs_unlink", function(e) m[e.args.dentry.d_parnt] = count() end)
                                                                ^
]], out:match("^(.-\n.-\n.-\n)"))
    assert.is_truthy(out:find("hint: members of struct dentry: d_flags, d_seq, d_hash, d_parent,", 1, true), out)
  end)

  it("a BTF raw tracepoint follows pointers: next.comm of sched_switch", function()
    local comm = H.comm("lbsw")
    local t = H.tracer { "-e", [[
      local m, target = map(), arg[1]
      rawtracepoint("sched_switch", function(e)
        if e.args.next.comm == target then m[e.args.next.pid] = count() end
      end)]], comm }
    local out = H.run(H.bin .. "stacker --comm " .. comm .. " --writes 20 --sleep-us 1000")
    local pid = out:match("pid=(%d+)")
    local rc, maps = H.stop(t)
    assert.are.equal(0, rc)
    -- it slept 20 times, so it was switched in at least 20 times
    local n = H.parse_maps(maps).m[pid]
    assert.is_true(n and n >= 20, tostring(n))
  end)

  it("lists probes, and their fields with C types, as bpftrace -l/-lv does", function()
    local rc, out = luabpf("-lv tracepoint:syscalls:sys_enter_write")
    assert.are.equal(0, rc)
    assert.are.equal([[
tracepoint:syscalls:sys_enter_write
    int __syscall_nr
    unsigned int fd
    const char * buf
    size_t count
]], out)
    rc, out = luabpf("-l 'tracepoint:syscalls:sys_enter_open*'")
    assert.are.equal(0, rc)
    assert.is_truthy(out:find("tracepoint:syscalls:sys_enter_open\ntracepoint:syscalls:sys_enter_open_by_handle_at\n", 1, true), out)
    assert.is_truthy(out:find("\ntracepoint:syscalls:sys_enter_openat\n", 1, true), out)
    rc, out = luabpf("-lv 'sched:sched_process_exec'")
    assert.are.equal(0, rc)
    assert.is_truthy(out:find("    __data_loc char[] filename\n", 1, true), out)
  end)
end)
