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
end)
