-- Failure paths: whatever way a run ends (compile error, a Lua error in a
-- user handler, SIGINT while attaching, SIGKILL, sessions closed early or
-- collected by the GC), no BPF program, link or perf event is left behind.
--
-- Other luabpf processes may run at the same time (other specs, other
-- people's tracers), so kernel-wide figures are taken about *this* run:
-- before/after snapshots of luabpf's programs (name lb_*) and of the links
-- that run them (bpftool), and what a process holds (/proc/PID/fd and
-- fdinfo). A program or link of ours that outlives its owner shows up as
-- one that is new since the snapshot and held by no process.
local H = require "spec.helper"

local function sh_lines(cmd)
  local f = io.popen(cmd .. " 2>/dev/null")
  local t = f:read("a")
  f:close()
  return t
end

-- luabpf's programs and the links running them, kernel-wide:
-- { progs = {[id] = name}, links = {[id] = prog_id}, nprogs =, nlinks = }.
local function kernel_objects()
  local o = { progs = {}, links = {}, nprogs = 0, nlinks = 0 }
  for line in H.run("bpftool prog show"):gmatch("[^\n]+") do
    local id, name = line:match("^(%d+): %S+%s+name (lb_%S*)")
    if id then o.progs[tonumber(id)] = name; o.nprogs = o.nprogs + 1 end
  end
  for line in H.run("bpftool link show"):gmatch("[^\n]+") do
    local id, prog = line:match("^(%d+): %S+%s+prog (%d+)")
    if id and o.progs[tonumber(prog)] then
      o.links[tonumber(id)] = tonumber(prog)
      o.nlinks = o.nlinks + 1
    end
  end
  return o
end

-- Program and link ids some live process holds an fd of.
local function held_ids()
  local progs, links = {}, {}
  local text = sh_lines("grep -h -e '^prog_id:' -e '^link_id:' /proc/[0-9]*/fdinfo/*")
  for kind, id in text:gmatch("(%a+)_id:%s*(%d+)") do
    (kind == "prog" and progs or links)[tonumber(id)] = true
  end
  return progs, links
end

-- luabpf programs and links created since `before` that no process holds:
-- a list of "prog ID (name)" / "link ID (prog ID)", empty when nothing
-- was left behind. Releasing takes the kernel a moment (RCU): wait for it.
local function leftovers(before, timeout)
  local deadline = os.time() + (timeout or 5)
  while true do
    local now, t = kernel_objects(), {}
    local hp, hl = held_ids()
    for id, name in pairs(now.progs) do
      if not before.progs[id] and not hp[id] then t[#t + 1] = "prog " .. id .. " (" .. name .. ")" end
    end
    for id, prog in pairs(now.links) do
      if not before.links[id] and not hl[id] then t[#t + 1] = "link " .. id .. " (prog " .. prog .. ")" end
    end
    if #t == 0 or os.time() > deadline then
      table.sort(t)
      return t
    end
    H.sleep(0.1)
  end
end

-- What process pid holds: counts of BPF programs, links, maps and perf
-- events, and the program and link ids.
local function holdings(pid)
  local h = { prog = 0, link = 0, map = 0, perf = 0, prog_ids = {}, link_ids = {} }
  local text = sh_lines(string.format(
    "cd /proc/%d/fd && for f in *; do printf '%%s' \"$(readlink $f)\"; " ..
    "grep -h -e '^prog_id:' -e '^link_id:' ../fdinfo/$f | tr -d '\\t\\n' | sed 's/^/ /'; echo; done", pid))
  for line in text:gmatch("[^\n]+") do
    local target, rest = line:match("^(%S+)(.*)$")
    if target == "anon_inode:bpf-prog" then
      h.prog = h.prog + 1
      h.prog_ids[#h.prog_ids + 1] = tonumber(rest:match("prog_id:%s*(%d+)"))
    elseif target == "anon_inode:bpf_link" then
      h.link = h.link + 1
      h.link_ids[#h.link_ids + 1] = tonumber(rest:match("link_id:%s*(%d+)"))
      -- an attached program is held by its link alone (luabpf closes
      -- its own descriptor of it): the link names it
      h.prog_ids[#h.prog_ids + 1] = tonumber(rest:match("prog_id:%s*(%d+)"))
    elseif target == "anon_inode:bpf-map" then
      h.map = h.map + 1
    elseif target == "anon_inode:[perf_event]" then
      h.perf = h.perf + 1
    end
  end
  return h
end

local function counts(h) return { prog = h.prog, link = h.link, map = h.map, perf = h.perf } end

-- Which of these program and link ids still exist (after a settle).
local function still_there(h, timeout)
  local deadline = os.time() + (timeout or 5)
  while true do
    local now, t = kernel_objects(), {}
    for _, id in ipairs(h.prog_ids) do
      if now.progs[id] then t[#t + 1] = "prog " .. id end
    end
    -- a link is listed whatever its program: ask for each by id
    for _, id in ipairs(h.link_ids) do
      if os.execute("bpftool link show id " .. id .. " >/dev/null 2>&1") then t[#t + 1] = "link " .. id end
    end
    if #t == 0 or os.time() > deadline then return t end
    H.sleep(0.1)
  end
end

local function my_pid()
  local f = assert(io.open("/proc/self/stat"))
  local pid = f:read("n")
  f:close()
  return pid
end

local script = H.script

-- Run luabpf to its end: rc, stdout, stderr.
local function run_luabpf(...)
  local words = { H.luabpf }
  for _, a in ipairs { ... } do words[#words + 1] = H.quote(a) end
  return H.finish(H.spawn(table.concat(words, " ")))
end

-- A getppid counter for one comm, and a user handler that fails.
local function counter_script(extra)
  return script([[
local bpf = require "luabpf"
local target = arg[1]
local calls = bpf.map()
bpf.tracepoint("syscalls:sys_enter_getppid", function(e)
  if e.comm == target then calls[e.comm] = bpf.count() end
end)
]] .. extra)
end

describe("failure paths leave nothing attached #kernel", function()
  it("a compile error: exit 1, one message, nothing attached", function()
    local before = kernel_objects()
    -- the first probe compiles (and would attach), the second does not
    local path = script([[
local bpf = require "luabpf"
local m = bpf.map()
bpf.tracepoint("sched:sched_switch", function(e) m[e.cpu] = bpf.count() end)
bpf.tracepoint("syscalls:sys_enter_getppid", function(e)
  m[e.pid] = string.format("%d", e.pid)
end)
]])
    local rc, out, err = run_luabpf(path)
    os.remove(path)
    assert.are.equal(1, rc)
    assert.are.equal("", out)
    assert.are.equal("luabpf: " .. path .. ":5:14:", err:match("^[^\n]*"):sub(1, #path + 14))
    assert.is_nil((out .. err):find("Attaching", 1, true))
    assert.are.same({}, leftovers(before))
  end)

  it("a 65th program on one tracepoint: the kernel's limit named, nothing left", function()
    local before = kernel_objects()
    local lines = { 'local bpf = require "luabpf"', "local m = bpf.map()" }
    for i = 1, 65 do
      lines[#lines + 1] = ('bpf.tracepoint("syscalls:sys_enter_getppid", function(e) m[%d] = bpf.count() end)'):format(i)
    end
    local path = script(table.concat(lines, "\n") .. "\n")
    local rc, out, err = run_luabpf(path)
    os.remove(path)
    assert.are.equal(1, rc)
    assert.are.equal("", out)
    assert.are.equal("luabpf: cannot attach to tracepoint:syscalls:sys_enter_getppid: the kernel runs " ..
      "at most 64 BPF programs on one probe point (E2BIG); join handlers of the same probe into one\n", err)
    assert.are.same({}, leftovers(before))
  end)

  it("a Lua error in an interval handler: traceback, maps printed, exit 1, nothing left", function()
    local before = kernel_objects()
    local comm = H.comm("lbfi")
    local path = counter_script([[
local want = tonumber(arg[2])
local function check(n)
  if n == want then error("interval handler failed after " .. n .. " calls") end
end
bpf.interval("50ms", function() check(calls[target]) end)
]])
    local t = H.tracer(path, comm, 300)
    local held = holdings(t.pid)
    assert.are.same({ prog = 0, link = 1, perf = 1 },
                    { prog = held.prog, link = held.link, perf = held.perf })
    H.run(H.bin .. "syscaller --calls 300 --comm " .. comm)
    local rc, out, err = H.finish(t) -- the failing interval ends the run
    os.remove(path)
    assert.are.equal(1, rc)
    assert.are.equal("\n\n@calls[" .. comm .. "]: 300\n", out)
    assert.are.equal("luabpf: " .. path ..
      ":9: interval handler failed after 300 calls\nstack traceback:\n", err:match("^.-traceback:\n") or err)
    assert.is_truthy(err:find("\n\t" .. path .. ":9: in upvalue 'check'\n\t" .. path .. ":11: in function <",
                              1, true), err)
    assert.are.same({}, still_there(held))
    assert.are.same({}, leftovers(before))
  end)

  it("a Lua error in an END handler: traceback, maps printed, exit 1, nothing left", function()
    local before = kernel_objects()
    local comm = H.comm("lbfe")
    local path = counter_script([[
local function finish() error("END handler failed") end
bpf.END(function() finish() end)
bpf.END(function() print("second END ran") end)
]])
    local t = H.tracer(path, comm)
    local held = holdings(t.pid)
    assert.are.same({ prog = 0, link = 1, perf = 1 },
                    { prog = held.prog, link = held.link, perf = held.perf })
    H.run(H.bin .. "syscaller --calls 222 --comm " .. comm)
    local rc, out, err = H.stop(t)
    os.remove(path)
    assert.are.equal(1, rc)
    -- the other END handlers still run, then the maps are printed
    assert.are.equal("second END ran\n\n\n@calls[" .. comm .. "]: 222\n", out)
    assert.are.equal("luabpf: " .. path .. ":7: END handler failed\n" ..
                     "stack traceback:\n", err:match("^.-traceback:\n") or err)
    assert.is_truthy(err:find("\n\t" .. path .. ":7: in upvalue 'finish'\n\t" .. path .. ":8: in function <",
                              1, true), err)
    assert.are.same({}, still_there(held))
    assert.are.same({}, leftovers(before))
  end)

  -- ~50 tracepoints attached one by one (no syscall fast path here).
  local many = [[
local bpf = require "luabpf"
local m = bpf.map()
for _, tp in ipairs { "sched:*", "irq:*", "timer:*", "signal:*" } do
  bpf.tracepoint(tp, function(e) m[e.probe] = bpf.count() end)
end
]]

  it("SIGINT while attaching many probes: ends cleanly, exit 0, nothing left", function()
    local path = script(many)
    local early = 0
    for attempt = 1, 6 do
      local before = kernel_objects()
      local t = H.spawn(H.luabpf .. " " .. path)
      -- SIGINT as soon as the first probe is attached (a link is open:
      -- these handlers read no field, so they are raw tracepoints, with no
      -- perf event): "early" when "Attaching" was not yet written then
      local when = H.run(string.format(
        "until ls -l /proc/%d/fd 2>/dev/null | grep -q -e perf_event -e bpf_link; do " ..
        "[ -e /proc/%d ] || break; done; " ..
        "if grep -q Attaching %s; then echo late; else echo early; fi; kill -INT %d",
        t.pid, t.pid, t.out, t.pid))
      local rc, out, err, attached = H.finish(t)
      assert.are.equal(0, rc, err)
      assert.are.equal("\n\n", out:sub(1, 2))
      assert.is_truthy(attached, out)
      assert.are.equal("", err)
      assert.are.same({}, leftovers(before))
      if when:match("early") then early = early + 1 end
      if early >= 2 then break end
    end
    os.remove(path)
    assert.is_true(early >= 1, "no SIGINT landed while attaching")
  end)

  -- Ctrl-C before "Attaching", while the script itself is still running
  -- (its own set-up, then adding probes), as from a terminal. Nothing is
  -- ever attached by then; the exit status should be 0 as for any Ctrl-C
  -- (README: "Ctrl-C ... ends the run ... exit status is 0"): the runner
  -- holds the signal from its first step, so the run ends cleanly.
  it("SIGINT while the script is loading, as from a terminal: ends, nothing left", function()
    local path = script('io.stderr:write("loading\\n")\n' ..
      'local t = os.clock() + 0.5 while os.clock() < t do end -- set-up work\n' .. many)
    local before = kernel_objects()
    -- env: SIGINT at its default, as at a terminal (a shell's background
    -- job would start with it ignored)
    local t = H.spawn("env --default-signal=INT " .. H.luabpf .. " " .. path)
    H.wait_for(t, "err", "loading\n")
    H.signal(t, "INT")
    local rc, out, err = H.finish(t, 20)
    os.remove(path)
    assert.are.same({}, leftovers(before))
    assert.are.equal(0, rc, err)
    assert.are.equal("\n\n", out:sub(1, 2))
  end)

  it("SIGKILL mid-run: nothing left once the tracer is reaped", function()
    local before = kernel_objects()
    local comm = H.comm("lbfk")
    local t = H.tracer("scripts/syscount.lua")
    H.run(H.bin .. "syscaller --calls 100 --comm " .. comm)
    local held = holdings(t.pid)
    -- syscalls:sys_enter_* reading no field: one raw tracepoint on
    -- raw_syscalls:sys_enter, a link without a perf event
    assert.are.same({ prog = 0, link = 1, perf = 0 },
                    { prog = held.prog, link = held.link, perf = held.perf })
    assert.is_truthy(kernel_objects().progs[held.prog_ids[1]])
    H.signal(t, "KILL")
    local rc = H.finish(t) -- written once the shell has reaped it
    assert.are.equal(137, rc)
    assert.are.same({}, still_there(held))
    assert.are.same({}, leftovers(before))
  end)
end)

describe("sessions inside one process #kernel", function()
  local bpf = require "luabpf"

  local function getppid_counter(s, comm)
    local m = s:map()
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      if e.comm == comm then m.calls = bpf.count() end
    end)
    return m
  end

  it("two sessions count the same workload independently; closing one leaves the other", function()
    local pid, comm = my_pid(), H.comm("lbfs")
    local base = counts(holdings(pid))
    local before = kernel_objects()
    local s1, s2 = bpf.session(), bpf.session()
    local m1, m2 = getppid_counter(s1, comm), getppid_counter(s2, comm)
    s1:start()
    local one = holdings(pid)
    assert.are.same({ prog = base.prog, link = base.link + 1, perf = base.perf + 1 },
                    { prog = one.prog, link = one.link, perf = one.perf })
    s2:start()
    local two = holdings(pid)
    assert.are.same({ prog = base.prog, link = base.link + 2, perf = base.perf + 2 },
                    { prog = two.prog, link = two.link, perf = two.perf })
    local maps_each = one.map - base.map
    assert.are.equal(base.map + 2 * maps_each, two.map)

    H.run(H.bin .. "syscaller --calls 400 --comm " .. comm)
    s1:poll(0); s2:poll(0)
    assert.are.equal(400, m1.calls)
    assert.are.equal(400, m2.calls)

    s1:close()
    local after1 = holdings(pid)
    assert.are.same({ prog = base.prog, link = base.link + 1, perf = base.perf + 1,
                      map = base.map + maps_each }, counts(after1))
    -- s1's program is gone from the kernel, s2's is still there
    local s1_prog, s2_prog
    for _, id in ipairs(two.prog_ids) do
      local mine = false
      for _, id2 in ipairs(after1.prog_ids) do mine = mine or id2 == id end
      if mine then s2_prog = id elseif not before.progs[id] then s1_prog = id end
    end
    assert.is_truthy(s1_prog and s2_prog)
    assert.are.same({}, still_there({ prog_ids = { s1_prog }, link_ids = {} }))
    assert.is_truthy(kernel_objects().progs[s2_prog])

    H.run(H.bin .. "syscaller --calls 250 --comm " .. comm)
    s2:poll(0)
    assert.are.equal(650, m2.calls)
    -- the closed session's map is an error to read, not a silent nil
    assert.has_error(function() return m1.calls end, "@m: its session is closed")
    assert.has_error(function() return #m1 end, "@m: its session is closed")

    s2:close()
    assert.are.same(base, counts(holdings(pid)))
    assert.are.same({}, leftovers(before))
  end)

  it("an unclosed session collected by the garbage collector detaches its programs", function()
    local pid, comm = my_pid(), H.comm("lbfg")
    collectgarbage(); collectgarbage()
    local base = counts(holdings(pid))
    local before = kernel_objects()
    local s = bpf.session()
    local m = getppid_counter(s, comm)
    s:start()
    local held = holdings(pid)
    assert.are.same({ prog = base.prog, link = base.link + 1, perf = base.perf + 1 },
                    { prog = held.prog, link = held.link, perf = held.perf })
    H.run(H.bin .. "syscaller --calls 123 --comm " .. comm)
    assert.are.equal(123, m.calls)
    local ids = { prog_ids = {}, link_ids = {} }
    for _, id in ipairs(held.prog_ids) do
      if not before.progs[id] and kernel_objects().progs[id] then ids.prog_ids[#ids.prog_ids + 1] = id end
    end
    assert.are.equal(1, #ids.prog_ids)
    assert.is_truthy(kernel_objects().nprogs >= before.nprogs + 1)
    -- the map keeps its session alive: drop both
    s, m = nil, nil -- luacheck: ignore
    collectgarbage(); collectgarbage()
    assert.are.same(base, counts(holdings(pid)))
    assert.are.same({}, still_there(ids))
    assert.are.same({}, leftovers(before))
  end)

  it("`local s <close>` detaches at the end of its scope", function()
    local pid, comm = my_pid(), H.comm("lbfc")
    local base = counts(holdings(pid))
    local before = kernel_objects()
    local n
    do
      local s <close> = bpf.session()
      local m = getppid_counter(s, comm)
      s:start()
      local held = holdings(pid)
      assert.are.same({ prog = base.prog, link = base.link + 1, perf = base.perf + 1 },
                      { prog = held.prog, link = held.link, perf = held.perf })
      H.run(H.bin .. "syscaller --calls 31 --comm " .. comm)
      n = m.calls
    end
    assert.are.equal(31, n)
    assert.are.same(base, counts(holdings(pid))) -- no GC needed
    assert.are.same({}, leftovers(before))
  end)

  -- SigBlk and SigIgn of this process, from /proc
  local function signal_state()
    local status = H.slurp("/proc/self/status")
    return { blocked = status:match("SigBlk:%s*(%x+)"), ignored = status:match("SigIgn:%s*(%x+)") }
  end

  it("s:run() gives the host back its signal mask and handlers, even when a handler fails", function()
    local host = signal_state()
    local s = bpf.session()
    s:BEGIN(function() bpf.printf("begin\n") end)
    local ticks = 0
    s:interval("20ms", function()
      ticks = ticks + 1
      if ticks == 2 then bpf.exit() end
    end)
    local text = {}
    s:on_event(function(ev) if ev.type == "printf" then text[#text + 1] = ev.text end end)
    s:run()
    assert.are.equal(2, ticks)
    assert.are.same({ "begin\n" }, text)
    assert.are.same(host, signal_state())

    local f = bpf.session()
    f:on_event(function() end)
    f:interval("20ms", function() error("interval failed") end)
    local ok, err = pcall(f.run, f)
    assert.is_false(ok)
    assert.is_truthy(err:find(":%d+: interval failed\nstack traceback:\n"), err)
    assert.is_true(f.closed)                  -- a failed run ends closed, END run, maps printed
    assert.are.same(host, signal_state())
  end)

  it("s:watch_signals(): SIGTERM ends the host's loop, then the host's mask is back", function()
    local host = signal_state()
    local s = bpf.session()
    s:on_event(function() end)
    s:start()
    s:watch_signals()
    os.execute("kill -TERM " .. my_pid())  -- blocked: kept for the session's descriptor
    assert.is_false(s:poll(1000))
    s:close()
    assert.are.same(host, signal_state())
  end)

  it("an error in an event consumer is raised from s:poll; the events after it wait", function()
    local s <close> = bpf.session()
    local comm = H.comm("lbfe")
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      if e.comm == comm then bpf.printf("%d\n", e.pid) end
    end)
    local got, failed = 0, false
    s:on_printf(function()
      got = got + 1
      if got == 2 and not failed then failed = true; error("consumer failed") end
    end)
    s:start()
    H.run(H.bin .. "syscaller --calls 4 --comm " .. comm)
    local ok, err = pcall(s.poll, s, 0)
    assert.is_false(ok)
    assert.is_truthy(err:find("consumer failed\nstack traceback:", 1, true), err)
    assert.are.equal(2, got)
    s:poll(0)                                 -- the session goes on: the other two arrive
    assert.are.equal(4, got)
  end)

  it("the README's embedding example, as a program, counts a workload exactly", function()
    local comm, dir = H.comm("lbfr"), H.tmpdir()
    local stop = dir .. "/stop"
    -- the very text of README's "Embedding" example
    local readme = H.slurp(H.root .. "/README.md")
    local code = readme:match("### Embedding.-```lua\n(.-)```")
    assert.is_truthy(code and code:find("s:poll(100)", 1, true), "no example in README")
    local path = script(code)
    local before = kernel_objects()
    local lpath = H.root .. "/build/share/lua/5.4/?.lua;" .. H.root .. "/build/share/lua/5.4/?/init.lua"
    local cpath = H.root .. "/build/lib/lua/5.4/?.so"
    local p = H.spawn(string.format("LUA_PATH=%s LUA_CPATH=%s lua5.4 %s %s", H.quote(lpath),
                                    H.quote(cpath), path, stop))
    H.wait_for(p, "err", "started\n")
    local held = holdings(p.pid)
    assert.are.same({ prog = 0, link = 1, perf = 1 },
                    { prog = held.prog, link = held.link, perf = held.perf })
    H.run(H.bin .. "tempfiles --count 7 --period-ms 0 --path /lbnone/ --comm " .. comm)
    H.run("touch " .. stop)
    local rc, out, err = H.finish(p)
    os.remove(path)
    os.execute("rm -rf " .. H.quote(dir))
    assert.are.equal(0, rc, err)
    assert.is_truthy(out:find("\n" .. comm .. "\t7\n", 1, true) or out:find("^" .. comm .. "\t7\n"), out)
    assert.are.equal("started\n", err)
    assert.are.same({}, still_there(held))
    assert.are.same({}, leftovers(before))
  end)
end)
