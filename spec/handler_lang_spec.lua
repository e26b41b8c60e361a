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
end)
