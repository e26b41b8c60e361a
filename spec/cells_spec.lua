-- bpftrace's keyless maps (bpf.vars() fields) holding per-CPU aggregates
-- are cells: one-entry per-CPU arrays with a set word, found without
-- hashing a key. They must read exactly as the hash maps they replace:
-- absent until updated, every CPU's copy combined, emptied for every
-- CPU by `at.x = nil` in a handler, and by the host.
local H = require "spec.helper"

-- "@name: N" lines (H.parse_maps reads keyed maps)
local function values(out)
  local v = {}
  for name, n in out:gmatch("\n@([%w_]+): (%-?%d+)%f[\n]") do v[name] = tonumber(n) end
  return v
end

describe("keyless aggregates (cells) #kernel", function()
  it("count exactly from two threads, every aggregate kind; an untouched one prints empty", function()
    local comm = H.comm("lbcell")
    local t = H.tracer({ "-e", [[
      local at, target = vars(), arg[1]
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm ~= target then return end
        at.calls = count()
        at.total = sum(3)
        at.low = min(e.args.__syscall_nr - 100)
        at.high = max(e.args.__syscall_nr + 1)
        at.mean = avg(10)
        at.st = stats(4)
        at.h = hist(1000)
        at.l = lhist(25, 0, 100, 10)
      end)
      tracepoint("syscalls:sys_enter_acct", function(e) at.never = count() end)]] }, comm)
    H.run(H.bin .. "syscaller --threads 2 --calls 500 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local maps = values("\n" .. out)
    assert.are.equal(1000, maps.calls, out)
    assert.are.equal(3000, maps.total)
    assert.are.equal(10, maps.low)
    assert.are.equal(111, maps.high)
    assert.are.equal(10, maps.mean)
    assert.is_truthy(out:find("\n@st: count 1000, average 4, total 4000\n", 1, true), out)
    assert.is_truthy(out:find("\n@h: \n[512, 1K)           1000 |" .. ("@"):rep(52) .. "|\n", 1, true), out)
    assert.is_truthy(out:find("\n@l: \n[20, 30)            1000 |" .. ("@"):rep(52) .. "|\n", 1, true), out)
    assert.is_nil(out:find("@never", 1, true), out)
  end)

  it("at.x = nil in a handler empties it on every CPU; later updates count from zero", function()
    local comm = H.comm("lbcdel")
    local t = H.tracer({ "-e", [[
      local at, target = vars(), arg[1]
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm == target then at.calls = count(); at.h = hist(5, 5); at.top = max(e.tid) end
      end)
      tracepoint("syscalls:sys_enter_gettid", function(e)
        if e.comm == target then at.calls = nil; at.h = nil; at.top = nil end
      end)]] }, comm)
    H.run(H.bin .. "syscaller --threads 2 --calls 300 --comm " .. comm)
    H.run(H.bin .. "syscaller --syscall gettid --calls 1 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.is_nil(out:find("@", 1, true), out)
    t = H.tracer({ "-e", [[
      local at, target = vars(), arg[1]
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm == target then at.calls = count() end
      end)
      tracepoint("syscalls:sys_enter_gettid", function(e)
        if e.comm == target then at.calls = nil end
      end)]] }, comm)
    H.run(H.bin .. "syscaller --threads 2 --calls 300 --comm " .. comm)
    H.run(H.bin .. "syscaller --syscall gettid --calls 1 --comm " .. comm)
    H.run(H.bin .. "syscaller --calls 7 --comm " .. comm)
    rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.equal(7, values("\n" .. out).calls, out)
  end)

  it("the template interpreter refuses to delete one, naming the map", function()
    local out = H.run("LUABPF_ENGINE=interp " .. H.luabpf .. [[ -e 'local at = vars()
      tracepoint("syscalls:sys_enter_getppid", function(e) at.n = count() end)
      tracepoint("syscalls:sys_enter_gettid", function(e) at.n = nil end)' 2>&1; echo "rc=$?"]])
    assert.are.equal("luabpf: tracepoint:syscalls:sys_enter_gettid: the interpreter this handler " ..
      "runs in (for DWARF stacks or LUABPF_ENGINE=interp) cannot delete the " ..
      "keyless map @n\nrc=1\n", out)
  end)

  it("a host reads them", function()
    local bpf = require "luabpf"
    local comm = H.comm("lbchost")
    local s = bpf.session()
    local at = s:vars()
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      if e.comm == comm then at.calls = bpf.count(); at.lat = bpf.hist(e.tid % 1 + 3) end
    end)
    finally(function() s:close() end)
    s:start()
    assert.is_nil(at.calls)
    H.run(H.bin .. "syscaller --threads 2 --calls 250 --comm " .. comm)
    assert.are.equal(500, at.calls)
    assert.are.equal(500, at.lat[4]) -- [2, 4): bucket 3 (0: negatives, 1: zero)
    assert.are.equal(1500, at.lat.sum)
    H.run(H.bin .. "syscaller --calls 9 --comm " .. comm)
    assert.are.equal(509, at.calls)
  end)
end)
