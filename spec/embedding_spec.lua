-- A Lua host that traces from inside itself, calling the embedding API
-- as README's "Embedding" and "Maps from Lua" sections document it:
-- s:on_event, s:fd, s:poll, bpf.maps.entries, .kind, .lhist_range,
-- .hist_bits, s:print_maps. The host runs as its own process, under
-- the Lua the specs run for (LUABPF_LUA: 5.4, 5.3, 5.1, luajit).
local H = require "spec.helper"

local HOST = [[
local bpf = require "luabpf"
local target, stop = arg[1], arg[2]
local s = bpf.session()
local calls, lh, h = s:map(), s:map(), s:map()
s:tracepoint("syscalls:sys_enter_getppid", function(e)
  if e.comm == target then
    calls[e.comm] = bpf.count()
    lh[e.comm] = bpf.lhist(5, 0, 10, 2)
    h[e.comm] = bpf.hist(5, 1)
    bpf.printf("call %s\n", e.comm)
  end
end)
local seen = {}
s:on_event(function(ev)
  if ev.type == "flush" then return end -- one per batch: how many depends on timing
  local what = ev.map and bpf.maps.name(ev.map) or ev.text or ""
  seen[#seen + 1] = ev.type .. "(" .. what:gsub("\n", "") .. ")"
end)
s:start()
local fd = s:fd() -- for a foreign loop's epoll: an epoll descriptor of its own
local self = io.open("/proc/self/stat"):read("*l"):match("^%d+")
local link = io.popen("readlink /proc/" .. self .. "/fd/" .. fd):read("*l")
print("fd", link)
io.stderr:write("started\n")
io.stderr:flush()
while not io.open(stop) do s:poll(50) end
s:poll(0)
print("kinds", bpf.maps.kind(calls), bpf.maps.kind(lh), bpf.maps.kind(h))
print("lhist_range", bpf.maps.lhist_range(lh))
print("hist_bits", bpf.maps.hist_bits(h))
for _, row in ipairs(bpf.maps.entries(calls)) do print("entry", row[1], row[2]) end
s:print_maps()
print(table.concat(seen, " "))
s:close()
]]

describe("embedding #kernel", function()
  setup(function() assert.is_true(H.is_root(), "kernel specs run as root") end)

  it("a host sees every event through s:on_event, in order, and reads its maps", function()
    local comm, dir = H.comm("lbem"), H.tmpdir()
    local stop, path = dir .. "/stop", H.script(HOST)
    local p = H.spawn(H.host_command(path, comm, stop))
    H.wait_for(p, "err", "started\n")
    H.run(H.bin .. "syscaller --calls 3 --comm " .. comm)
    H.run("touch " .. stop)
    local rc, out, err = H.finish(p)
    os.remove(path)
    os.execute("rm -rf " .. H.quote(dir))
    assert.are.equal(0, rc, err)
    local call = "printf(call " .. comm .. ")"
    assert.are.equal(table.concat({
      "fd\tanon_inode:[eventpoll]",
      "kinds\tsum\tlhist\thist",
      "lhist_range\t0\t10\t2",
      "hist_bits\t1",
      "entry\t" .. comm .. "\t3",
      table.concat({ call, call, call, "end()", "map(calls)", "map(h)", "map(lh)" }, " "),
    }, "\n") .. "\n", out)
  end)
end)
