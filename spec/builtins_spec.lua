-- bpftrace builtins of kernel handlers, run against real workloads:
-- pointers kept for later (opensnoop's enter/exit pattern), time,
-- addresses and argument lists.
local H = require "spec.helper"

local function lines(text) return H.lines(text) end

describe("builtins #kernel", function()
  it("a char * kept in a map at sys_enter is read at sys_exit, once the kernel paged it in", function()
    -- tempfiles --cold-open opens a path held in a page it never touched:
    -- at sys_enter_openat a read of the string faults (and BPF cannot
    -- fault pages in), at sys_exit the kernel has paged it in
    local comm = H.comm("lbcold")
    local t = H.tracer { "-e", [[
      local ptrs, early, target = map(), map(), arg[1]
      tracepoint("syscalls:sys_enter_openat", function(e)
        if e.comm ~= target then return end
        ptrs[e.tid] = e.args.filename           -- the address: read by str() below
        early[e.tid] = e.args.filename          -- the string, read now
      end)
      tracepoint("syscalls:sys_exit_openat", function(e)
        if ptrs[e.tid] then
          printf("%d at exit [%s] at entry [%s]\n", e.args.ret, str(ptrs[e.tid]), early[e.tid])
          ptrs[e.tid] = nil
          early[e.tid] = nil
        end
      end)]], comm }
    H.run(H.bin .. "tempfiles --count 1 --period-ms 0 --path /lbnone/tmp/ --comm " .. comm
          .. " --cold-open /lbnone/cold:3 --open /lbnone/warm:2")
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.same({
      "-2 at exit [/lbnone/cold] at entry []",
      "-2 at exit [/lbnone/cold] at entry []",
      "-2 at exit [/lbnone/cold] at entry []",
      "-2 at exit [/lbnone/warm] at entry [/lbnone/warm]",
      "-2 at exit [/lbnone/warm] at entry [/lbnone/warm]",
      "-2 at exit [/lbnone/tmp/] at entry [/lbnone/tmp/]",
    }, lines(out))
  end)
end)
