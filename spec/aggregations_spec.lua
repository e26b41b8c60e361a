-- Aggregations computed in the kernel over values of known size: the
-- writer workload writes exactly 7 x 100 bytes and 3 x 4096 bytes.
local H = require "spec.helper"

describe("aggregations #kernel", function()
  local out

  setup(function()
    local comm = H.comm("lbag")
    local t = H.tracer { "-e", [[
      local h, l, s, a, mn, mx, n = map(), map(), map(), map(), map(), map(), map()
      local target = arg[1]
      tracepoint("syscalls:sys_enter_write", function(e)
        if e.comm == target and e.args.fd == 5 then
          h.bytes = hist(e.args.count)
          l.bytes = lhist(e.args.count, 0, 5000, 1000)
          s.bytes = stats(e.args.count)
          a.bytes = avg(e.args.count)
          mn.bytes = min(e.args.count)
          mx.bytes = max(e.args.count)
          n[e.args.count % 3 - 1] = count()
        end
      end)]], comm }
    H.run(H.bin .. "writer --comm " .. comm .. " 5:100x7 5:4096x3")
    local rc
    rc, out = H.stop(t)
    assert.are.equal(0, rc)
  end)

  it("hist: power-of-two buckets like bpftrace", function()
    assert.is_truthy(out:find([[
@h[bytes]: 
[64, 128)              7 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[128, 256)             0 |                                                    |
[256, 512)             0 |                                                    |
[512, 1K)              0 |                                                    |
[1K, 2K)               0 |                                                    |
[2K, 4K)               0 |                                                    |
[4K, 8K)               3 |@@@@@@@@@@@@@@@@@@@@@@                              |
]], 1, true), out)
  end)

  it("lhist: linear buckets", function()
    assert.is_truthy(out:find([[
@l[bytes]: 
[0, 1000)              7 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[1000, 2000)           0 |                                                    |
[2000, 3000)           0 |                                                    |
[3000, 4000)           0 |                                                    |
[4000, 5000)           3 |@@@@@@@@@@@@@@@@@@@@@@                              |
]], 1, true), out)
  end)

  it("stats, avg, min, max", function()
    assert.is_truthy(out:find("@s[bytes]: count 10, average 1298, total 12988\n", 1, true), out)
    assert.is_truthy(out:find("@a[bytes]: 1298\n", 1, true), out)
    assert.is_truthy(out:find("@mn[bytes]: 100\n", 1, true), out)
    assert.is_truthy(out:find("@mx[bytes]: 4096\n", 1, true), out)
  end)

  it("Lua's floor modulo on negative keys: 100 % 3 - 1 = 0, 4096 % 3 - 1 = 0", function()
    assert.is_truthy(out:find("@n[0]: 10\n", 1, true), out)
  end)
end)

describe("records from kernel handlers #kernel", function()
  it("print(m) prints the map and exit() ends the run", function()
    local comm = H.comm("lbpx")
    local t = H.spawn(H.luabpf .. " -e " .. H.quote([[
      local m, target = map(), arg[1]
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm == target then m[e.comm] = count() end
      end)
      tracepoint("syscalls:sys_enter_getpid", function(e)
        if e.comm == target then print(m) exit() end
      end)]]) .. " " .. comm)
    H.wait_for(t, "out", "Attaching")
    H.run(H.bin .. "syscaller --calls 5 --comm " .. comm .. "; " ..
          H.bin .. "syscaller --syscall getpid --calls 1 --comm " .. comm)
    local rc, out = H.finish(t, 10) -- exits by itself
    assert.are.equal(0, rc)
    -- printed once by print(m), once more at exit
    assert.are.equal(string.format("@m[%s]: 5\n\n\n@m[%s]: 5\n", comm, comm), out)
  end)
end)

describe("printf records #kernel", function()
  it("are counted, never silently dropped: printed + lost = made", function()
    local comm = H.comm("lblost")
    -- BEGIN stalls the reader for 3 s while the workload floods the ring buffer
    local t = H.spawn(H.luabpf .. " -e " .. H.quote([[
      local target = arg[1]
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm == target then printf("%d %d\n", e.tid, e.pid) end
      end)
      BEGIN(function() os.execute("sleep 3") end)]]) .. " " .. comm)
    H.wait_for(t, "out", "Attaching")
    H.run(H.bin .. "syscaller --calls 300000 --comm " .. comm)
    H.wait_for(t, "err", "Lost %d+ events", 30)
    H.sleep(1)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc)
    local printed, lost = 0, 0
    for _ in out:gmatch("%d+ %d+\n") do printed = printed + 1 end
    for n in err:gmatch("Lost (%d+) events") do lost = lost + tonumber(n) end
    assert.is_true(lost > 0 and printed > 0)
    assert.are.equal(300000, printed + lost)
  end)

  it("can go to a Lua callback instead of the terminal", function()
    local bpf = require "luabpf"
    local s = bpf.session()
    local comm = H.comm("lbcb")
    local target, lines = comm, {}
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      if e.comm == target then bpf.printf("%s called getppid\n", e.comm) end
    end)
    s:on_printf(function(text) lines[#lines + 1] = text end)
    s:start()
    H.run(H.bin .. "syscaller --calls 7 --comm " .. comm)
    s:poll(100)
    s:close()
    assert.are.equal(7, #lines)
    assert.are.equal(comm .. " called getppid\n", lines[7])
  end)
end)

describe("limits #kernel", function()
  it("a full map reports how many updates it refused", function()
    local comm = H.comm("lbfull")
    local t = H.tracer { "-e", [[
      local m, target = map(), arg[1]
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm == target then m[e.nsecs] = count() end -- a new key each call
      end)]], comm }
    H.run(H.bin .. "syscaller --calls 12000 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc)
    local keys = 0
    for _ in out:gmatch("@m%[%d+%]: 1\n") do keys = keys + 1 end
    assert.are.equal(10240, keys)
    assert.is_truthy(err:find("Warning: @m is full (10240 keys): 1760 updates were dropped\n", 1, true), err)
  end)
end)
