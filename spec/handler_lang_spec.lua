-- Language features of kernel handlers, run against real workloads:
-- long handlers, values chosen by condition, string locals, hist(x, k),
-- bpf.reg(), e.func, bpf.cpid, bpf.join() and typedef'd fields.
local H = require "spec.helper"

local luabpf = H.luabpf_output

describe("handler language #kernel", function()
  it("a handler of ~360 ops loads and counts exactly", function()
    -- 30 if/else steps on the syscall number (110, getppid), mirrored here
    local steps, x = {}, 110
    for i = 1, 30 do
      local k, c = i % 7 + 2, i % 3
      steps[#steps + 1] = ("    if x %% %d == %d then x = x + %d else x = x * 3 end"):format(k, c, i)
      if x % k == c then x = x + i else x = x * 3 end
    end
    local comm = H.comm("lblong")
    local t = H.tracer { "-e", ([[
      local m, target = map(), arg[1]
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm ~= target then return end
        local x = e.args.__syscall_nr
%s
        m[x] = count()
      end)]]):format(table.concat(steps, "\n")), comm }
    H.run(H.bin .. "syscaller --calls 250 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.same({ [tostring(x)] = 250 }, H.parse_maps(out).m)
  end)

  it("shifts and division follow Lua: counts of 64 or more, negative counts, division by zero", function()
    local comm = H.comm("lbsh")
    local t = H.tracer { "-e", [[
      local m, after, target = map(), map(), arg[1]
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm ~= target then return end
        local n, one = e.args.__syscall_nr - 40, e.args.__syscall_nr - 109 -- 70, 1 at run time
        m[1] = 1 << n            -- 0
        m[2] = (one + 6) << 64   -- 0
        m[3] = 4 << (one - 2)    -- 2
        m[4] = -1 >> one         -- 0x7fffffffffffffff
        m[5] = 1 >> (one - 4)    -- 8
        m[6] = -7 // (one + 1)   -- -4 (floors)
        m[7] = -7 % (one + 1)    -- 1
        local z = one - 1
        m[8] = 7 // z            -- stops the run here, as Lua's error would
        after[1] = count()
      end)]], comm }
    H.run(H.bin .. "syscaller --calls 3 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local maps = H.parse_maps(out)
    assert.are.same({ ["1"] = 0, ["2"] = 0, ["3"] = 2, ["4"] = math.maxinteger, ["5"] = 8,
                      ["6"] = -4, ["7"] = 1 }, maps.m)
    assert.is_nil(maps.after)
    assert.are.equal("Warning: -e:13:18: 3 handler runs stopped at an integer division or modulo by zero " ..
      "(Lua raises an error there; a kernel handler cannot)\n", err)
  end)

  it("chooses values by condition: string locals, c and x or y, as keys and printf args", function()
    local comm = H.comm("lbch")
    local t = H.tracer { "-e", [[
      local m, n, o, target = map(), map(), map(), arg[1]
      tracepoint("raw_syscalls:sys_enter", function(e)
        if e.comm ~= target or (e.args.id ~= 110 and e.args.id ~= 3) then return end
        local kind = "other"
        if e.args.id == 110 then kind = "getppid" elseif e.args.id == 3 then kind = "close" end
        local short = e.args.id == 110 and "p" or "c"
        m[{kind, short}] = count()
        n[e.args.id == 3 and 1 or 2] = count()
        o[e.args.id == 3 and e.comm or "ppid"] = count()
        printf("%s/%s/%d\n", kind, short, e.args.id == 110 and 7 or -7)
      end)]], comm }
    H.run(H.bin .. "syscaller --calls 3 --comm " .. comm)
    H.run(H.bin .. "syscaller --calls 2 --syscall close_bad --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.equal("getppid/p/7\ngetppid/p/7\ngetppid/p/7\nclose/c/-7\nclose/c/-7\n",
      out:match("^(.-\n)\n"))
    local maps = H.parse_maps(out)
    assert.are.same({ ["getppid, p"] = 3, ["close, c"] = 2 }, maps.m)
    assert.are.same({ ["1"] = 2, ["2"] = 3 }, maps.n)
    assert.are.same({ [comm] = 2, ppid = 3 }, maps.o)
  end)

  it("hist(x, k): 2^k buckets per power of two, labelled like bpftrace 0.20", function()
    -- the i-th getppid call adds i to @h and i * 1000 - 50000 to @g
    local comm = H.comm("lbhk")
    local t = H.tracer { "-e", [[
      local c, h, g, target = map "c", map "h", map "g", arg[1]
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm ~= target then return end
        local i = (c[1] or 0) + 1
        c[1] = i
        h[1] = hist(i, 2)
        g.k = hist(i * 1000 - 50000, 1)
      end)]], comm }
    H.run(H.bin .. "syscaller --calls 100 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.equal([[
@g[k]: 
(..., 0)              49 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[0]                    1 |@                                                   |
[1]                    0 |                                                    |
[2]                    0 |                                                    |
[3]                    0 |                                                    |
[4, 6)                 0 |                                                    |
[6, 8)                 0 |                                                    |
[8, 12)                0 |                                                    |
[12, 16)               0 |                                                    |
[16, 24)               0 |                                                    |
[24, 32)               0 |                                                    |
[32, 48)               0 |                                                    |
[48, 64)               0 |                                                    |
[64, 96)               0 |                                                    |
[96, 128)              0 |                                                    |
[128, 192)             0 |                                                    |
[192, 256)             0 |                                                    |
[256, 384)             0 |                                                    |
[384, 512)             0 |                                                    |
[512, 768)             0 |                                                    |
[768, 1024)            1 |@                                                   |
[1024, 1536)           0 |                                                    |
[1536, 2K)             1 |@                                                   |
[2K, 3K)               1 |@                                                   |
[3K, 4K)               1 |@                                                   |
[4K, 6K)               2 |@@                                                  |
[6K, 8K)               2 |@@                                                  |
[8K, 12K)              4 |@@@@                                                |
[12K, 16K)             4 |@@@@                                                |
[16K, 24K)             8 |@@@@@@@@                                            |
[24K, 32K)             8 |@@@@@@@@                                            |
[32K, 48K)            17 |@@@@@@@@@@@@@@@@@@                                  |
[48K, 64K)             1 |@                                                   |
]], out:match("(@g%[k%]: \n.-\n)\n"))
    assert.are.equal([[
@h[1]: 
[1]                    1 |@@@                                                 |
[2]                    1 |@@@                                                 |
[3]                    1 |@@@                                                 |
[4]                    1 |@@@                                                 |
[5]                    1 |@@@                                                 |
[6]                    1 |@@@                                                 |
[7]                    1 |@@@                                                 |
[8, 10)                2 |@@@@@@                                              |
[10, 12)               2 |@@@@@@                                              |
[12, 14)               2 |@@@@@@                                              |
[14, 16)               2 |@@@@@@                                              |
[16, 20)               4 |@@@@@@@@@@@@@                                       |
[20, 24)               4 |@@@@@@@@@@@@@                                       |
[24, 28)               4 |@@@@@@@@@@@@@                                       |
[28, 32)               4 |@@@@@@@@@@@@@                                       |
[32, 40)               8 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[40, 48)               8 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[48, 56)               8 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[56, 64)               8 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[64, 80)              16 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[80, 96)              16 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[96, 112)              5 |@@@@@@@@@@@@@@@@                                    |

]], out:match("@h%[1%]: \n.*$"))
  end)

  it("typedef'd fields take their C type's size and sign from BTF: kill's pid_t", function()
    local t = H.tracer { "-e", [[
      local m = map()
      tracepoint("syscalls:sys_enter_kill", function(e)
        if e.comm == "perl" and e.args.sig == 0 then
          m[e.args.pid] = count()
          printf("%d %s\n", e.args.pid, e.args.pid == -26878 and "negative" or "other")
        end
      end)]] }
    H.run("perl -e 'kill 0, -26878; kill 0, -26878'") -- a process group: ESRCH
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.equal("-26878 negative\n-26878 negative\n", out:match("^(.-\n)\n"))
    assert.are.same({ ["-26878"] = 2 }, H.parse_maps(out).m)
  end)

  it("bpf.reg() reads the probed registers: ip at foo's entry, ip in profile samples", function()
    local bin = H.root .. "/build/bin/uprobeme"
    local foo = tonumber(H.run("nm " .. bin):match("(%x+) T foo\n"), 16)
    local t = H.tracer { "-e", [[
      local m = map()
      uprobe(arg[1] .. ":foo", function(e)
        printf("%d %d\n", bpf.reg("ip") & 4095, bpf.reg("sp") & 7)
      end)
      profile("199hz", function(e)
        if e.comm == "spin" then m[bpf.reg("ip") >> 40 == 0 and "low" or "high"] = count() end
      end)]], bin }
    H.run(bin .. " --calls 3")
    H.run(H.bin .. "spin --ms 300")
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    -- foo's address within its page; sp is 8-byte aligned
    local line = ("%d 0\n"):format(foo & 4095)
    assert.are.equal(line:rep(3), out:match("^(.-\n)\n"))
    local m = H.parse_maps(out).m
    assert.is_nil(m.low) -- a real ip: PIE code at 0x55.., libc at 0x7f.., or the kernel
    assert.is_true(m.high > 0, out)
  end)

  it("e.cpid is the pid of luabpf -c's command, 0 without one", function()
    local code = [[tracepoint("syscalls:sys_enter_getppid", function(e)
      if e.comm == "syscaller" or e.comm == "lbcpid" then printf("cpid=%d pid=%d\n", e.cpid, e.pid) end
    end)]]
    local rc, out = luabpf("-c " .. H.quote(H.bin .. "syscaller --calls 2") .. " -e " .. H.quote(code))
    assert.are.equal(0, rc, out)
    local pid = out:match("pid=(%d+) tids=")
    assert.are.equal(("cpid=%s pid=%s\n"):format(pid, pid):rep(2), out:match("(cpid=.-\n)\n"))
    local t = H.tracer { "-e", code }
    H.run(H.bin .. "syscaller --calls 1 --comm lbcpid")
    local rc2, out2 = H.stop(t)
    assert.are.equal(0, rc2)
    assert.is_truthy(out2:match("^cpid=0 pid=%d+\n\n"), out2)
  end)

  it("e.func names the probed function, each match of a wildcard its own", function()
    local bin = H.root .. "/build/bin/uprobeme"
    local t = H.tracer { "-e", [[
      local m = map()
      uprobe(arg[1] .. ":[fb][oa][or]", function(e)
        m[e.func] = count()
        printf("%s|%-5s|\n", e.func, e.func)
      end)]], bin }
    H.run(bin .. " --calls 2")
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.equal("foo|foo  |\nbar|bar  |\nfoo|foo  |\nbar|bar  |\n", out:match("^(.-\n)\n"))
    assert.are.same({ foo = 2, bar = 2 }, H.parse_maps(out).m)
  end)
end)
