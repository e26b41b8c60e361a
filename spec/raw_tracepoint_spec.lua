-- Tracepoints whose handlers read nothing of the record (no e.args
-- field, no stack) are attached as raw tracepoints: the same events,
-- counted exactly, but a link with no perf event behind it, so that
-- releasing it waits for no RCU grace period (README: Performance). A
-- handler that reads a field stays a perf-event tracepoint.
local H = require "spec.helper"

-- What the tracer holds: perf event and BPF link descriptors, and the
-- types of its BPF programs ("raw_tracepoint", "tracepoint").
local function holds(pid)
  local h = { perf = 0, link = 0, types = {} }
  for target in H.run(string.format("for f in /proc/%d/fd/*; do readlink $f; done", pid)):gmatch("[^\n]+") do
    if target == "anon_inode:[perf_event]" then h.perf = h.perf + 1 end
    if target == "anon_inode:bpf_link" then h.link = h.link + 1 end
  end
  local ids = H.run(string.format("grep -h '^prog_id:' /proc/%d/fdinfo/* 2>/dev/null; true", pid))
  local seen = {}
  for id in ids:gmatch("prog_id:%s*(%d+)") do
    if not seen[id] then
      seen[id] = true
      local kind = H.run("bpftool prog show id " .. id):match("^%d+: ([%w_]+)")
      h.types[#h.types + 1] = kind
    end
  end
  table.sort(h.types)
  return h
end

describe("raw tracepoints #kernel #rawtp", function()
  it("a syscall wildcard reading no field: one raw tracepoint, exact counts", function()
    local comm = H.comm("lbraw")
    local t = H.tracer({ "-e", string.format(
      [[local m = map() tracepoint("syscalls:sys_enter_getpp*", function(e) if e.comm == %q then m[e.probe] = count() end end)]],
      comm) })
    local h = holds(t.pid)
    assert.are.same({ perf = 0, link = 1, types = { "raw_tracepoint" } }, h)
    H.run(H.bin .. "syscaller --calls 1000 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.same({ m = { ["tracepoint:syscalls:sys_enter_getppid"] = 1000 } }, H.parse_maps(out))
  end)

  it("sched:sched_process_exit by probe is raw; by e.args.comm it stays a perf event", function()
    local comm = H.comm("lbrex")
    local t = H.tracer({ "-e", string.format([[
local byprobe, byfield = map(), map()
tracepoint("sched:sched_process_exit", function(e) if e.comm == %q then byprobe[e.probe] = count() end end)
tracepoint("sched:sched_process_exit", function(e) if e.comm == %q then byfield[e.args.comm] = count() end end)]],
      comm, comm) })
    local h = holds(t.pid)
    assert.are.same({ perf = 1, link = 2, types = { "raw_tracepoint", "tracepoint" } }, h)
    H.run(H.bin .. "syscaller --calls 1 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.same({ byprobe = { ["tracepoint:sched:sched_process_exit"] = 1 },
                      byfield = { [comm] = 1 } }, H.parse_maps(out))
  end)

  it("sched:* counted by probe holds 0 perf events, one raw tracepoint link each", function()
    local n = tonumber(H.run("ls -d /sys/kernel/tracing/events/sched/*/ | wc -l"))
    local t = H.tracer({ "-e", [[local m = map() tracepoint("sched:*", function(e) m[e.probe] = count() end)]] })
    local h = holds(t.pid)
    assert.are.equal(0, h.perf)
    assert.are.equal(n, h.link)
    local rc, _, err = H.stop(t)
    assert.are.equal(0, rc, err)
  end)
end)
