-- uprobe wildcards: one program and a few uprobe_multi links where the
-- kernel has them (6.6+), one program per function elsewhere
-- (LUABPF_UPROBE_MULTI=0 forces that path here); the same exact counts
-- either way. Functions the kernel refuses are skipped with a warning,
-- and Ctrl-C during a long attach ends the run within a second with
-- nothing left attached.
local H = require "spec.helper"

local uprobeme = H.bin .. "uprobeme"
local libcalls = H.bin .. "libcalls"

local function env(multi) return multi and "" or "LUABPF_UPROBE_MULTI=0 " end

-- luabpf -c 'uprobeme --calls 7 --contacts 3' with handler `code` on
-- every function of uprobeme: rc, the maps, stderr, the Attaching line.
local function uprobeme_wildcard(multi, kind, code, glob)
  local before = H.live_programs()
  local rc, out, err, attached = H.run_rc(env(multi) .. H.luabpf .. " -c " ..
    H.quote(uprobeme .. " --calls 7 --contacts 3") .. " -e " ..
    H.quote(string.format('local m = map() %s("%s:%s", function(e) %s end)', kind, uprobeme,
                          glob or "*", code)))
  assert.are.equal(before, H.live_programs_settled(before))
  return rc, H.parse_maps(out).m or {}, err, attached
end

-- What each function of uprobeme is called (entry) in one run: foo and
-- bar --calls times, add_contact --contacts times, random_name twice per
-- contact, the start-up and exit code once.
local function expected(prefix)
  local t = {}
  for f, n in pairs { foo = 7, bar = 7, add_contact = 3, random_name = 6, main = 1, _init = 1,
                      _start = 1, _fini = 1, frame_dummy = 1, register_tm_clones = 1,
                      deregister_tm_clones = 1, __do_global_dtors_aux = 1 } do
    t[prefix .. f] = n
  end
  return t
end

local function counts_every_function(multi)
  local rc, m, err, attached = uprobeme_wildcard(multi, "uprobe", "m[e.probe] = count()")
  assert.are.equal(0, rc, err)
  assert.are.equal("Attaching 13 probes...", attached) -- one is never called
  assert.are.same(expected("uprobe:" .. uprobeme .. ":"), m)
end

describe("uprobe wildcards", function()
  if not H.is_root() then
    pending("needs root")
    return
  end

  it("count every function of a binary exactly through uprobe_multi", function()
    counts_every_function(true)
  end)

  it("count every function of a binary exactly, one program per function", function()
    counts_every_function(false)
  end)

  it("count every function of a binary exactly on this kernel's path #kprobe #umulti", function()
    counts_every_function(true) -- in make vmtest: 6.1 has no uprobe_multi, 6.12 has
  end)

  it("count every return exactly through uprobe_multi's return probes", function()
    -- [a-z]*: not _start, which has no return address (a uretprobe there
    -- overwrites argc: bpftrace's uretprobe:BIN:* breaks the program too)
    local rc, m, err = uprobeme_wildcard(true, "uretprobe", "m[e.probe] = count()", "[a-z]*")
    assert.are.equal(0, rc, err)
    local want = {}
    for k, v in pairs(expected("uretprobe:" .. uprobeme .. ":")) do
      if k:match(":[a-z][%w_]*$") then want[k] = v end
    end
    assert.are.same(want, m)
  end)

  it("give e.func per function (the handler then takes one program each)", function()
    local rc, m, err = uprobeme_wildcard(true, "uprobe", "m[e.func] = count()")
    assert.are.equal(0, rc, err)
    assert.are.same(expected(""), m)
  end)

  it("fail up front with the count when one program per function cannot fit in ulimit -n", function()
    local before = H.live_programs()
    local rc, _, err = H.run_rc("ulimit -n 1000; LUABPF_UPROBE_MULTI=0 " .. H.luabpf .. " -e " ..
      H.quote('local m = map() uprobe("libc:*", function(e) m[e.probe] = count() end)'), 120)
    assert.are.equal(1, rc, err)
    local progs, need = err:match("\nluabpf: libc:%*: (%d+) programs need about (%d+) open " ..
      "files, more than the 1000 this process may open %(ulimit %-n; hard limit 1000%): raise " ..
      "the limit or match fewer functions\n$")
    assert.is_truthy(progs, err)
    assert.is_truthy(tonumber(progs) > 5000 and tonumber(need) >= 2 * tonumber(progs), err)
    assert.are.equal(before, H.live_programs_settled(before))
  end)

  it("count libc functions a process calls a known number of times (libc:*, -p)", function()
    local w = H.workload(libcalls .. " --calls 50 --wait-signal")
    local before = H.live_programs()
    local p = H.tracer({ "-p", tostring(w.wpid), "-e",
      'local m = map() uprobe("libc:*", function(e) m[e.probe] = count() end)' })
    H.signal({ pid = w.wpid }, "USR1")
    local rc, out, err, attached = H.finish(p, 120)
    H.finish(w)
    assert.are.equal(0, rc, err)
    assert.are.equal(before, H.live_programs_settled(before))
    local n = {}
    for k, v in pairs(H.parse_maps(out).m) do
      local f = k:match("^uprobe:/[^:]*/libc%.so%.6:([%w_]+)$")
      if f then n[f] = v end
    end
    assert.are.equal(50, n.getppid)
    assert.are.equal(100, n.getuid)
    assert.are.equal(150, n.geteuid)
    assert.are.equal(1, n.exit)
    assert.is_truthy(tonumber(attached:match("%d+")) > 5000, attached)
    -- one warning each for what the kernel refused and for what it must
    -- not be given, each naming the functions
    local refused = H.lines(err:gsub("[^\n]*IFUNCs[^\n]*\n", ""))
    assert.are.equal(2, #refused, err)
    assert.is_truthy(refused[1]:match("^Warning: libc:%*: %d+ matching functions were skipped: " ..
      "they start with an AVX%-512 %(EVEX%) instruction.*: .*strchrnul"), err)
    assert.is_truthy(refused[2]:match("^Warning: libc:%*: %d+ functions the kernel cannot " ..
      "probe %(ENOTSUPP: an instruction uprobes cannot handle%) were skipped: .*" ..
      "__GI___nptl_free_tcb"), err)
  end)
end)

-- nanoseconds of CLOCK_REALTIME
local function now() return tonumber(H.run("date +%s%N")) end

describe("Ctrl-C while a huge uprobe wildcard attaches", function()
  if not H.is_root() then
    pending("needs root")
    return
  end

  -- A private copy of libc, mapped by 40 waiting processes: attaching all
  -- of its ~7,000 functions takes a few seconds (each uprobe goes into
  -- each of them), and no other process on the machine is touched.
  local dir, waiting
  setup(function()
    dir = H.tmpdir()
    H.run("cp /lib/x86_64-linux-gnu/libc.so.6 " .. dir .. "/libc.so.6")
    waiting = {}
    for i = 1, 40 do
      waiting[i] = H.workload("LD_LIBRARY_PATH=" .. dir .. " " .. libcalls .. " --wait-signal")
    end
  end)
  teardown(function()
    for _, w in ipairs(waiting) do H.signal({ pid = w.wpid }, "KILL") end
    for _, w in ipairs(waiting) do H.finish(w) end
    H.run("rm -rf " .. dir)
  end)

  -- (One program per function, on kernels without uprobe_multi, cannot
  -- promise it: the kernel takes ~17 ms to take back each function's
  -- perf-event uprobe, one after another, whatever the threads closing
  -- them: 2,000 attached take ~35 s.)
  local function interrupt(multi)
    local before = H.live_programs()
    local p = H.spawn(env(multi) .. H.luabpf .. " -e " .. H.quote(string.format(
      'local m = map() uprobe("%s/libc.so.6:*", function(e) m[e.probe] = count() end)', dir)))
    -- attaching has begun once a program of it is in the kernel
    local deadline = os.time() + 60
    while H.live_programs() == before do
      assert.is_truthy(os.time() < deadline, "no program loaded in 60 s")
      H.sleep(0.05)
    end
    H.sleep(0.2)
    local t0 = now()
    H.signal(p, "INT")
    while H.slurp(p.rcfile) == "" do H.sleep(0.01) end
    local took = (now() - t0) / 1e9
    local rc, _, err, attached = H.finish(p)
    assert.are.equal(0, rc, err)
    assert.are.equal("Attaching 0 probes...", attached) -- it was still attaching
    assert.are.equal(before, H.live_programs_settled(before))
    assert.is_truthy(took <= 1.0, string.format("SIGINT to exit: %.3f s", took))
    io.stderr:write(string.format("[%s] SIGINT to exit during attach: %.3f s\n",
      multi and "uprobe_multi" or "per function", took))
  end

  it("through uprobe_multi ends within a second, nothing left attached", function()
    interrupt(true)
  end)

  it("a uprobe or uretprobe on a function that starts with an AVX-512 instruction is refused", function()
    -- the kernel would accept it, and the traced program would lose the
    -- instruction's result each time it is stepped over
    local before = H.live_programs()
    for _, kind in ipairs { "uprobe", "uretprobe" } do
      local rc, _, out = H.run_rc(H.luabpf .. " -e " ..
        H.quote(kind .. '("' .. libcalls .. ':evex_first", function(e) end)'))
      assert.are.equal(1, rc)
      assert.are.equal("luabpf: -e:1: " .. kind .. ":" .. libcalls .. ":evex_first: it starts with an " ..
        "AVX-512 (EVEX) instruction, whose result uprobes lose when they step over it (the traced " ..
        "program would go wrong): probe a function that calls it instead\n", out)
    end
    -- matched by a wildcard alone: every function it matches is left out
    local rc, _, out = H.run_rc(H.luabpf .. " -e " ..
      H.quote('uprobe("' .. libcalls .. ':evex_*", function(e) end)'))
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: -e:1: every function of " .. libcalls .. " matching 'evex_*' starts " ..
      "with an AVX-512 instruction, which uprobes cannot step over safely\n", out)
    assert.are.equal(before, H.live_programs_settled(before))
  end)
end)
