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

  it("bpf.strftime(fmt, ns) renders a kernel timestamp as bpftrace 0.17 does (boot time plus ns)", function()
    -- the same constants through bpftrace's strftime(): exact text
    local fmts = { "%Y-%m-%d %H:%M:%S", "%H:%M:%S", "%a %d %b %Y, %T" }
    local nss = { 0, 1500000000, 1234567890123, 86400000000000 }
    local bt, lb = {}, {}
    for _, f in ipairs(fmts) do
      for _, ns in ipairs(nss) do
        bt[#bt + 1] = ('printf("%%s|\\n", strftime("%s", %d));'):format(f, ns)
        lb[#lb + 1] = ('printf("%%s|\\n", strftime("%s", %d))'):format(f, ns)
      end
    end
    local comm = H.comm("lbtime")
    -- BEGIN (user space) and a kernel handler print the same
    local t = H.tracer { "-e", ([[
      local target = arg[1]
      BEGIN(function()
        %s
        printf("%%s %%s %%s\n", ntop(0x0100007f), ntop(10, ("\0"):rep(15) .. "\1"), ntop("\10\0\0\1"))
      end)
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm ~= target then return end
        %s
        printf("%%s %%s|\n", strftime("%%H:%%M:%%S", e.nsecs), strftime("%%d %%f", 1500000000))
      end)]]):format(table.concat(lb, "\n        "), table.concat(lb, "\n        ")), comm }
    local before = os.date("%H:%M:%S")
    H.run(H.bin .. "syscaller --calls 1 --comm " .. comm)
    local after = os.date("%H:%M:%S")
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local brc, bout, berr = H.run_rc("bpftrace -e " .. H.quote("BEGIN { " .. table.concat(bt, " ")
                                                              .. " exit(); }"), 60)
    assert.are.equal(0, brc, berr)
    local want = {}
    for _, l in ipairs(lines(bout)) do
      if not l:match("^Attaching") then want[#want + 1] = l end
    end
    local got = lines(out)
    local last = table.remove(got)
    local user = {}
    for i = 1, 12 do user[i] = table.remove(got, 1) end
    assert.are.equal("127.0.0.1 ::1 10.0.0.1", table.remove(got, 1))
    assert.are.same(want, user)
    assert.are.same(want, got)
    assert.are.equal(12, #got)
    -- e.nsecs is now; %f is the microseconds, 6 digits
    local now, usec = last:match("^(%d%d:%d%d:%d%d) %d%d (%d%d%d%d%d%d)|$")
    assert.is_truthy(now, last)
    assert.is_true(now >= before and now <= after, before .. " " .. now .. " " .. after)
  end)

  it("bpf.time([fmt]) prints the time when the record is printed, in kernel and user handlers", function()
    local comm = H.comm("lbnow")
    local t = H.tracer { "-e", [[
      local target = arg[1]
      BEGIN(function() time("begin %H:%M:%S\n") end)
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm ~= target then return end
        time()
        time("at %H:%M:%S\n")
        printf("after\n")
      end)]], comm }
    local before = os.date("%H:%M:%S")
    H.run(H.bin .. "syscaller --calls 2 --comm " .. comm)
    local rc, out, err = H.stop(t)
    local after = os.date("%H:%M:%S")
    assert.are.equal(0, rc, err)
    local got = lines(out)
    assert.are.equal(7, #got, out)
    assert.is_truthy(got[1]:match("^begin %d%d:%d%d:%d%d$"), got[1])
    for i = 0, 1 do
      local a, b = got[2 + 3 * i], got[3 + 3 * i]
      assert.is_truthy(a:match("^%d%d:%d%d:%d%d$"), a)
      assert.are.equal("at ", b:sub(1, 3))
      assert.is_true(a >= before and a <= after, before .. " " .. a .. " " .. after)
      assert.is_true(b:sub(4) >= a and b:sub(4) <= after)
      assert.are.equal("after", got[4 + 3 * i])
    end
  end)

  it("e.elapsed: ns since the session started; two opens 300 ms apart are 300 ms apart", function()
    local comm = H.comm("lbel")
    local t0 = os.time()
    local t = H.tracer { "-e", [[
      local target = arg[1]
      tracepoint("syscalls:sys_enter_openat", function(e)
        if e.comm == target then printf("%d\n", e.elapsed) end
      end)]], comm }
    H.run(H.bin .. "tempfiles --count 2 --period-ms 300 --path /lbnone/ --comm " .. comm)
    local rc, out, err = H.stop(t)
    local secs = os.time() - t0 + 1
    assert.are.equal(0, rc, err)
    local got = lines(out)
    assert.are.equal(2, #got, out)
    local e1, e2 = tonumber(got[1]), tonumber(got[2])
    assert.is_true(e1 > 0 and e2 < secs * 1000000000, out)
    local d = e2 - e1
    -- one nanosleep of 300 ms between them; a loaded machine adds a little
    assert.is_true(d >= 300000000 and d < 800000000, tostring(d))
  end)

  it("bpf.ntop() and u8[4] / u8[16] array fields: a TCP connection on 127.0.0.1 and ::1", function()
    local comm = H.comm("lbtcp")
    local t = H.tracer { "-e", [[
      local target = arg[1]
      local byport, arr, last = map(), map(), map()
      tracepoint("sock:inet_sock_set_state", function(e)
        if e.comm ~= target then return end
        local a = e.args
        if a.family == 2 then
          printf("%d %d %d %s %s %d %d\n", a.family, a.oldstate, a.newstate, ntop(a.saddr),
                 ntop(a.daddr), a.sport, a.dport)
          arr[a.daddr] = count()
        else
          printf("%d %d %d %s %s %d %d\n", a.family, a.oldstate, a.newstate, ntop(a.saddr_v6),
                 ntop(a.daddr_v6), a.sport, a.dport)
        end
        byport[{ntop(a.family, a.saddr_v6), a.sport}] = count()
        last[a.family] = a.daddr_v6
      end)
      END(function() -- from Lua, an address key is its text
        printf("lua %d %d %s\n", byport[{"::1", 0}], byport[{"0.0.0.0", 0}], last[10])
      end)]], comm }
    local wout = H.run(H.bin .. "tcpconn --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local P4, Q4 = wout:match("inet4 listen=(%d+) client=(%d+)")
    local P6, Q6 = wout:match("inet6 listen=(%d+) client=(%d+)")
    assert.is_truthy(P4 and P6, wout)
    -- the states a loopback connection goes through: listen, connect,
    -- accept, the client closes first, then the server, then the listener
    local want = {}
    for _, f in ipairs { { 2, "127.0.0.1", "0.0.0.0", P4, Q4 }, { 10, "::1", "::", P6, Q6 } } do
      local af, A, Z, P, Q = f[1], f[2], f[3], f[4], f[5]
      for _, l in ipairs {
        { 7, 10, A, Z, P, 0 }, { 7, 2, A, A, 0, P }, { 2, 1, A, A, Q, P }, { 10, 3, A, A, P, Q },
        { 3, 1, A, A, P, Q }, { 1, 4, A, A, Q, P }, { 1, 8, A, A, P, Q }, { 8, 9, A, A, P, Q },
        { 4, 5, A, A, Q, P }, { 5, 7, A, A, Q, P }, { 9, 7, A, A, P, Q }, { 10, 7, A, Z, P, 0 },
      } do
        want[#want + 1] = table.concat({ af, table.unpack(l) }, " ")
      end
    end
    local got, maps = {}, {}
    for _, l in ipairs(lines(out)) do
      if l:sub(1, 1) == "@" then maps[#maps + 1] = l else got[#got + 1] = l end
    end
    assert.are.equal("lua 1 1 [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]", table.remove(got))
    table.sort(want)
    table.sort(got)
    assert.are.same(want, got)
    -- ntop(AF_INET, u8[16]) reads the first 4 bytes, as bpftrace's does
    table.sort(maps)
    local wmaps = {
      "@arr[[0,0,0,0]]: 2",
      "@arr[[127,0,0,1]]: 10",
      "@byport[0.0.0.0, 0]: 1",
      ("@byport[0.0.0.0, %s]: 4"):format(Q4),
      ("@byport[0.0.0.0, %s]: 7"):format(P4),
      "@byport[::1, 0]: 1",
      ("@byport[::1, %s]: 4"):format(Q6),
      ("@byport[::1, %s]: 7"):format(P6),
      "@last[10]: [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]",
      "@last[2]: [0,0,0,0,0,0,0,0,0,0,255,255,0,0,0,0]",
    }
    table.sort(wmaps)
    assert.are.same(wmaps, maps)
  end)

  it("bpf.join(e.args.argv [, delim]) prints execve's arguments as bpftrace 0.17's join()", function()
    local dir = H.tmpdir()
    local prog = dir .. "/" .. H.comm("lbjoin")
    H.run("ln -s /bin/true " .. prog)
    local long = ("d"):rep(300)
    -- 17 arguments after argv[0]: join() keeps 16 strings; an empty one ends it
    local argv = { prog, "a", "b c", long }
    for i = 1, 13 do argv[#argv + 1] = tostring(i) end
    local cmds = { table.concat(argv, " "), prog .. " x '' y", prog }
    local function runall()
      for _, c in ipairs(cmds) do H.run(c:gsub("(%S+)", function(w)
        return w == "''" and w or H.quote(w) end):gsub("'b' 'c'", "'b c'")) end
    end
    local t = H.tracer { "-e", [[
      local target = arg[1]
      tracepoint("syscalls:sys_enter_execve", function(e)
        if str(e.args.filename) == target then
          join(e.args.argv)
          join(e.args.argv, ",")
        end
      end)]], prog }
    runall()
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local first = table.concat({ prog, "a", "b c", long, "1", "2", "3", "4", "5", "6", "7", "8", "9",
                                 "10", "11", "12" }, "\0")
    local want = {
      (first:gsub("%z", " ")), (first:gsub("%z", ",")),
      prog .. " x", prog .. ",x",
      prog, prog,
    }
    assert.are.same(want, lines(out))
    -- bpftrace 0.17 prints the same
    local bt = H.spawn("bpftrace -e " .. H.quote(([[t:syscalls:sys_enter_execve
      /str(args->filename) == "%s"/ { join(args->argv); join(args->argv, ","); }]]):format(prog)))
    H.wait_for(bt, "out", "Attaching %d+ probes?%.%.%.")
    H.sleep(1.5)
    runall()
    H.signal(bt, "TERM")
    local brc, bout = H.finish(bt)
    assert.are.equal(0, brc)
    assert.are.same(want, lines(bout))
    os.execute("rm -rf " .. H.quote(dir))
  end)
end)
