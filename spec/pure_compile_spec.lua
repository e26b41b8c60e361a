-- Compiling is a pure function (issue 13, part 4): a handler's free
-- names are resolved before code generation by raw look-ups, so no Lua
-- code runs while compiling; the compiler proposes map layouts and a
-- probe refused at any point leaves the session as it was.
local bpf = require "luabpf"
local H = require "spec.helper"

-- A handler in a file of its own, loaded with environment env.
local function handler_in(env, body)
  local path = H.script("return function(e)\n  " .. body .. "\nend\n")
  local chunk = assert(loadfile(path, "t", env))
  return chunk(), path
end

describe("name resolution", function()
  it("never calls an __index function on a metatable's metatable", function()
    local calls = 0
    local mt = setmetatable({}, {
      __index = function(_, k)
        calls = calls + 1
        return function() return bpf end -- what a lazy loader would give
      end,
    })
    -- Lua reads mt.__index raw: the global is plain nil to Lua too
    local env = setmetatable({ bpf = bpf }, mt)
    local s = bpf.session()
    local fn, path = handler_in(env, "X[e.pid] = bpf.count()")
    local ok, err = pcall(s.compile, s, "tracepoint:syscalls:sys_enter_write", fn)
    assert.is_false(ok)
    assert.are.equal(0, calls)
    assert.matches(path:match("[^/]+$") .. ":2:3: global 'X' is nil", err, 1, true)
    s:close()
    os.remove(path)
  end)

  it("says at its position that a global would come from an __index function", function()
    local calls = 0
    local env = setmetatable({}, {
      __index = function(_, k)
        calls = calls + 1
        return _G[k]
      end,
    })
    local s = bpf.session()
    local m = s:map()
    env.m = m
    local fn, path = handler_in(env, "m[e.pid] = bpf.count()")
    local ok, err = pcall(s.compile, s, "tracepoint:syscalls:sys_enter_write", fn)
    assert.is_false(ok)
    assert.are.equal(0, calls)
    assert.matches(path:match("[^/]+$") .. ":2:14: global 'bpf' would come from an __index function\n"
      .. "  m[e.pid] = bpf.count()\n"
      .. "             ^\n"
      .. "hint: compiling runs no Lua code", err, 1, true)
    -- a plain value in the environment compiles
    rawset(env, "bpf", bpf)
    assert.matches("map_add", s:compile("tracepoint:syscalls:sys_enter_write", fn))
    assert.are.equal(0, calls)
    s:close()
    os.remove(path)
  end)

  it("follows __index tables raw, as the runner's -e environment needs", function()
    local s = bpf.session()
    local m = s:map()
    local env = setmetatable({ m = m }, { __index = setmetatable({}, { __index = { bpf = bpf } }) })
    local fn, path = handler_in(env, "m[e.pid] = bpf.count()")
    assert.matches("map_add", s:compile("tracepoint:syscalls:sys_enter_write", fn))
    s:close()
    os.remove(path)
  end)

  it("leaks nothing on that path (valgrind)", function()
    local script = H.script([[
local bpf = require "luabpf"
local path = os.tmpname()
local f = io.open(path, "w")
f:write("return function(e)\n  m[e.pid] = bpf.count()\nend\n")
f:close()
local s = bpf.session()
local env = setmetatable({ m = s:map() }, { __index = function(_, k) return _G[k] end })
for _ = 1, 20 do
  local ok, err = pcall(s.compile, s, "tracepoint:syscalls:sys_enter_write", loadfile(path, "t", env)())
  assert(not ok and err:find("would come from an __index function", 1, true), err)
end
s:close()
os.remove(path)
print("done")
]])
    local rc, out, err = H.run_rc("valgrind --trace-children=yes --leak-check=full "
      .. "--errors-for-leak-kinds=definite,indirect --error-exitcode=9 " .. H.host_command(script), 300)
    os.remove(script)
    assert.are.equal("done\n", out)
    assert.are.equal(0, rc, err)
    assert.matches("ERROR SUMMARY: 0 errors", err, 1, true)
    assert.is_truthy(err:find("All heap blocks were freed", 1, true)
      or err:find("definitely lost: 0 bytes", 1, true), err)
  end)
end)

describe("s:compile has no side effects", function()
  it("proposes a layout without fixing it: a conflicting real probe still works #kernel", function()
    local s <close> = bpf.session()
    local fresh, comm = s:map "fresh", H.comm("lbpc")
    local listing = s:compile("tracepoint:syscalls:sys_enter_getppid",
      function(e) fresh[e.comm] = bpf.count() end)
    assert.matches("map_add", listing)
    assert.are.equal("none", bpf.maps.kind(fresh))
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      if e.comm == comm then fresh[e.pid] = bpf.sum(3) end
    end)
    s:start()
    local p = H.workload(H.bin .. "syscaller --calls 4 --wait-signal --comm " .. comm)
    H.signal(p, "USR1")
    H.finish(p)
    assert.are.equal("sum", bpf.maps.kind(fresh))
    assert.are.equal(12, fresh[p.wpid])
    assert.are.equal(1, #bpf.maps.entries(fresh))
  end)

  it("adds no bpf.vars() field", function()
    local s <close> = bpf.session()
    local at = s:vars()
    s:compile("tracepoint:syscalls:sys_enter_getppid", function(e) at.total = bpf.count() end)
    assert.is_nil(next(s.var_maps))
    assert.is_nil(pairs(at)())
  end)
end)

describe("a probe refused late #kernel", function()
  it("leaves layouts, printf ids, kernel maps and counts as they were", function()
    local s <close> = bpf.session()
    local m, fresh, comm = s:map "m", s:map "fresh", H.comm("lbpl")
    local texts = {}
    s:on_printf(function(text) texts[#texts + 1] = text end)
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      if e.comm == comm then
        m[e.pid] = bpf.count()
        bpf.printf("a %d\n", e.pid)
      end
    end)
    s:start()
    local p1 = H.workload(H.bin .. "syscaller --calls 5 --wait-signal --comm " .. comm)
    H.signal(p1, "USR1")
    H.finish(p1)
    s:poll(0)
    -- compiles, then the kernel map for its layout of fresh is made, then
    -- the kernel refuses it: a kprobe on no function cannot attach; where
    -- there are no kprobes, a kernel that permits no kfunc refuses it
    local kprobes = io.open("/sys/bus/event_source/devices/kprobe/type")
    if kprobes then kprobes:close() end
    local kind, where, why = "kfunc", "vfs_read", "does not permit kfunc"
    if kprobes then
      kind, where, why = "kprobe", "luabpf_no_such_function_xyz", "cannot attach to kprobe:"
    end
    local ok, err = pcall(s[kind], s, where, function(e)
      fresh[e.comm] = bpf.count()
      bpf.printf("never %s %d\n", e.comm, e.pid)
    end)
    assert.is_false(ok)
    assert.matches(why, err, 1, true)
    assert.are.equal("none", bpf.maps.kind(fresh))
    assert.are.equal(5, m[p1.wpid])
    -- fresh keyed otherwise now: its kernel map must be made anew
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      if e.comm == comm then
        fresh[e.pid] = bpf.sum(3)
        bpf.printf("b %d %d\n", e.pid, e.tid)
      end
    end)
    local p2 = H.workload(H.bin .. "syscaller --calls 7 --wait-signal --comm " .. comm)
    H.signal(p2, "USR1")
    H.finish(p2)
    s:poll(0)
    assert.are.equal(5, m[p1.wpid])
    assert.are.equal(7, m[p2.wpid])
    assert.are.equal(21, fresh[p2.wpid])
    assert.are.equal(1, #bpf.maps.entries(fresh))
    local want = {}
    for _ = 1, 5 do want[#want + 1] = ("a %d\n"):format(p1.wpid) end
    local a, b = 0, 0
    for _, t in ipairs(texts) do
      if t == ("a %d\n"):format(p2.wpid) then a = a + 1 end
      if t == ("b %d %d\n"):format(p2.wpid, p2.wpid) then b = b + 1 end
    end
    assert.are.same(want, { table.unpack(texts, 1, 5) })
    assert.are.equal(7, a)
    assert.are.equal(7, b)
    assert.are.equal(5 + 14, #texts)
  end)
end)
