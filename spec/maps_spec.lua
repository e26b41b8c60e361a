-- Maps read from Lua while a session traces, in this very process (the
-- embedding use: a Lua program that requires luabpf and traces itself).
local bpf = require "luabpf"
local H = require "spec.helper"

describe("maps from Lua #kernel", function()
  local s, calls, pair, stats, comm

  setup(function()
    s = bpf.session()
    comm = H.comm("lbm")
    local target = comm
    calls = s:map()
    pair = s:map "pairs"
    stats = s:map()
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      if e.comm == target then
        calls[e.tid] = bpf.count()
        pair[{ e.pid, e.comm }] = bpf.sum(2)
        stats.total = bpf.count()
        stats.twice = stats.twice + 2
      end
    end)
    s:start()
  end)

  teardown(function() s:close() end)

  it("reads values, tuples and string-constant keys, per-CPU values summed", function()
    local out = H.run(H.bin .. "syscaller --threads 2 --calls 500 --comm " .. comm)
    local pid = tonumber(out:match("pid=(%d+)"))
    local t1, t2 = out:match("tids=(%d+),(%d+)")
    assert.are.equal(500, calls[tonumber(t1)])
    assert.are.equal(500, calls[tonumber(t2)])
    assert.is_nil(calls[1])                 -- absent key
    assert.is_nil(calls["not an int"])      -- a key of the wrong type finds nothing
    assert.are.equal(2000, pair[{ pid, comm }])
    assert.are.equal(1000, stats.total)
    assert.are.equal(2000, stats.twice)
    assert.are.equal(2, #calls)

    local seen = {}
    for k, v in pairs(calls) do seen[k] = v end
    assert.are.same({ [tonumber(t1)] = 500, [tonumber(t2)] = 500 }, seen)
    for k, v in pairs(pair) do
      assert.are.same({ pid, comm }, k)
      assert.are.equal(2000, v)
    end
  end)

  it("prints like bpftrace, with top and div, and as tostring", function()
    assert.are.equal("@stats[total]: 1000\n@stats[twice]: 2000\n", tostring(stats))
    local pid = pairs(pair)(pair)[1]
    assert.are.equal(string.format("@pairs[%d, %s]: 2000\n", pid, comm), tostring(pair))
    local text, real = {}, io.stdout
    io.stdout = { write = function(_, str) text[#text + 1] = str end, flush = function() end }
    stats:print { top = 1, div = 1000 }
    io.stdout = real
    assert.are.equal("@stats[twice]: 2\n", table.concat(text))
  end)

  it("deletes one key and clears the rest", function()
    stats:delete("total")
    assert.is_nil(stats.total)
    assert.are.equal(2000, stats.twice)
    stats:clear()
    assert.are.equal(0, #stats)
    assert.is_nil(stats.twice)
    assert.has_error(function() stats.total = 1 end,
      "maps are written by kernel handlers; from Lua use :delete(key) or :clear()")
  end)
end)
