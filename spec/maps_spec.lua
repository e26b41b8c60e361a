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
    local seen = {}
    s:on_event(function(ev) seen[#seen + 1] = ev end)
    bpf.print(stats, 1, 1000)
    s:on_event(nil)
    assert.are.equal(1, #seen)
    assert.are.equal("map", seen[1].type)
    assert.are.equal(stats, seen[1].map)                  -- as data
    assert.are.equal("@stats[twice]: 2\n", seen[1].text)  -- and as text, top and div applied
  end)

  it("deletes one key and clears the rest", function()
    stats.total = nil
    assert.is_nil(stats.total)
    assert.are.equal(2000, stats.twice)
    bpf.clear(stats)
    assert.are.equal(0, #stats)
    assert.is_nil(stats.twice)
    assert.has_error(function() stats.total = 1 end,
      "@stats holds sum() values, which only its handlers update; from Lua, maps of " ..
      "plain values (m[k] = v in handlers) can be written")
  end)
end)

-- Maps a host writes and sizes: keys that look like method names, a
-- filter set from Lua, max_entries and LRU eviction, closed sessions.
describe("maps a host writes #kernel", function()
  local function run(calls, threads, comm)
    local p = H.workload(string.format("%ssyscaller --calls %d --threads %d --comm %s --wait-signal",
                                       H.bin, calls, threads, comm))
    return p
  end

  it("keys are never shadowed: m.name, m.kind, m.print are values", function()
    local s <close> = bpf.session()
    local words, comm = s:map(), H.comm("lbw")
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      if e.comm == comm then
        words.name = bpf.count()
        words.kind = bpf.sum(2)
        words.print = bpf.sum(3)
        words.entries = bpf.sum(4)
      end
    end)
    s:start()
    H.run(H.bin .. "syscaller --calls 7 --comm " .. comm)
    assert.are.same({ 7, 14, 21, 28 }, { words.name, words.kind, words["print"], words.entries })
    assert.are.equal("sum", bpf.maps.kind(words))
    assert.are.equal(4, #bpf.maps.entries(words))
  end)

  it("a filter map written from Lua changes what handlers count", function()
    local s <close> = bpf.session()
    local allow, seen, comm = s:map "allow", s:map "seen", H.comm("lbf")
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      if allow[e.pid] == 1 and e.comm == comm then seen[e.pid] = bpf.count() end
    end)
    s:start()
    local a, b = run(5, 1, comm), run(9, 1, comm)
    allow[a.wpid] = 1                       -- only a is let through
    H.signal(a, "USR1"); H.signal(b, "USR1")
    H.finish(a); H.finish(b)
    assert.are.equal(5, seen[a.wpid])
    assert.is_nil(seen[b.wpid])
    allow[a.wpid] = nil                     -- deleted: a is filtered out again
    assert.is_nil(allow[a.wpid])
    assert.are.equal(1, #bpf.maps.entries(seen))
    assert.has_error(function() allow[a.wpid] = "yes" end, "@allow holds integers, not string")
    assert.has_error(function() allow.x = 1 end, "@allow: string is not a key of this map")
  end)

  it("max_entries bounds a map (the updates it refused counted); lru evicts instead", function()
    local s <close> = bpf.session()
    local comm = H.comm("lbx")
    local few = s:map { name = "few", max_entries = 4 }
    local recent = s:map { name = "recent", max_entries = 4, lru = true }
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      if e.comm == comm then
        few[e.tid] = bpf.count()
        recent[e.tid] = bpf.count()
      end
    end)
    s:start()
    H.run(string.format("%ssyscaller --calls 7 --threads 6 --comm %s", H.bin, comm))
    assert.are.equal(4, #few)
    assert.are.equal(14, bpf.maps.dropped(few))  -- 2 threads x 7 calls found no room
    assert.are.equal(4, bpf.maps.max_entries(few))
    assert.is_true(#recent <= 4 and #recent >= 1)
    assert.are.equal(0, bpf.maps.dropped(recent)) -- an LRU map never refuses
    -- 4 keys x (8-byte key + 8-byte count per CPU)
    local cpus = tonumber(H.slurp("/sys/devices/system/cpu/possible"):match("(%d+)%s*$")) + 1
    assert.are.equal(4 * (8 + 8 * cpus), bpf.maps.memory(few))
    assert.has_error(function() s:map { max_entries = 0 } end,
      "bpf.map: max_entries must be a positive integer")
    assert.has_error(function() s:map { size = 3 } end,
      "bpf.map: unknown option 'size' (known: name, max_entries, lru, labels)")
  end)

  it("a map that may take more than 64 MiB when full is named in a warning at start", function()
    local s <close> = bpf.session()
    local big = s:map { name = "big", max_entries = 100000 }
    local small = s:map "small"
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      big[e.pid] = bpf.lhist(e.pid, 0, 990, 1)
      small[e.pid] = bpf.count()
    end)
    local warnings = {}
    s:on_event(function(ev) if ev.type == "warning" then warnings[#warnings + 1] = ev.text end end)
    s:start()
    local mib = bpf.maps.memory(big) // (1024 * 1024)
    assert.is_true(mib > 64)
    assert.is_true(bpf.maps.memory(small) < 64 * 1024 * 1024)
    assert.are.same({ "Warning: @big may take up to " .. mib .. " MiB of kernel memory when " ..
                      "full; bpf.map{max_entries = N} bounds it" }, warnings)
  end)

  it("a host's own calls are skipped unless it asks for them with s:trace_self()", function()
    local me = tonumber(io.open("/proc/self/stat"):read("l"):match("^%d+"))
    local dir = H.tmpdir()
    local path = dir .. "/self"
    local function count_opens(trace_self)
      local s <close> = bpf.session()
      if trace_self then s:trace_self() end
      local m = s:map()
      s:tracepoint("syscalls:sys_enter_openat", function(e)
        if e.pid == me and bpf.str(e.args.filename) == path then m.n = bpf.count() end
      end)
      s:start()
      for _ = 1, 7 do io.open(path, "w"):close() end
      return m.n
    end
    assert.is_nil(count_opens(false))
    assert.are.equal(7, count_opens(true))
    os.execute("rm -rf " .. H.quote(dir))
  end)

  it("a closed session's maps raise an error when read", function()
    local s = bpf.session()
    local m = s:map "gone"
    s:tracepoint("syscalls:sys_enter_getppid", function(e) m[e.pid] = bpf.count() end)
    s:start()
    s:close()
    assert.has_error(function() return m[1] end, "@gone: its session is closed")
    assert.has_error(function() return bpf.maps.entries(m) end, "@gone: its session is closed")
    assert.has_error(function() s:poll(0) end, "the session is closed")
  end)
end)
