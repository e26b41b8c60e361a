-- Helpers for kernel specs: run the real `luabpf` command and real
-- workloads as separate processes, and read bpftrace-style output.
local H = {}

H.root = os.getenv("LUABPF_ROOT") or "."
-- Which Lua the specs run luabpf under (`make test-lua LUA=...` sets
-- LUABPF_LUA): 5.4 (build/), 5.3, 5.1 or luajit (build-5.3/ ...).
-- Workloads are Lua-independent and live in build/bin/ for all.
H.lua = os.getenv("LUABPF_LUA") or "5.4"
-- LUABPF_BUILD: another build of the module (`make sanitize`: build-asan).
H.build = os.getenv("LUABPF_BUILD") and H.root .. "/" .. os.getenv("LUABPF_BUILD")
  or H.root .. (H.lua == "5.4" and "/build" or "/build-" .. H.lua)
H.lua_bin = H.lua == "luajit" and "luajit" or "lua" .. H.lua
H.lua_abi = H.lua == "luajit" and "5.1" or H.lua
H.luabpf = H.build .. "/bin/luabpf"
H.bin = H.root .. "/build/bin/"

function H.is_root()
  local p = io.popen("id -u")
  local uid = p:read("*l")
  p:close()
  return uid == "0"
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("*a")
  f:close()
  return s
end
H.slurp = slurp

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
H.quote = sh_quote

local function sleep(s) os.execute("sleep " .. s) end
H.sleep = sleep

function H.tmpdir()
  local p = io.popen("mktemp -d /tmp/luabpf-spec.XXXXXX")
  local d = p:read("*l")
  p:close()
  return d
end

H.spawned = {}

-- Start `cmd` (a shell command line) in the background; its stdout,
-- stderr and exit status land in files. Returns a process handle.
function H.spawn(cmd)
  local d = H.tmpdir()
  local p = { dir = d, out = d .. "/out", err = d .. "/err", rcfile = d .. "/rc" }
  os.execute(string.format(
    "sh -c %s >/dev/null 2>&1 &",
    sh_quote(string.format("%s >%s 2>%s & echo $! >%s/pid; wait $!; echo $? >%s",
                           cmd, p.out, p.err, d, p.rcfile))))
  for _ = 1, 500 do
    local pid = tonumber(slurp(d .. "/pid"))
    if pid then
      p.pid = pid
      H.spawned[pid] = true -- its BPF programs are this run's (H.live_programs)
      return p
    end
    sleep(0.01)
  end
  error("could not start: " .. cmd)
end

-- Wait until file `which` ("out" or "err") of p matches pattern.
function H.wait_for(p, which, pattern, timeout)
  local deadline = os.time() + (timeout or 20)
  repeat
    local text = slurp(p[which])
    local m = text:match(pattern)
    if m then return m end
    if slurp(p.rcfile) ~= "" then
      error(string.format("process ended before %q appeared:\n%s\n%s", pattern,
                          slurp(p.out), slurp(p.err)))
    end
    sleep(0.02)
  until os.time() > deadline
  error(string.format("timed out waiting for %q:\n%s\n%s", pattern, slurp(p.out), slurp(p.err)))
end

function H.signal(p, sig) os.execute("kill -" .. sig .. " " .. p.pid .. " 2>/dev/null") end

-- Wait for p to exit; returns exit status, stdout, stderr, and the
-- "Attaching N probes..." line the tracers print first on stdout (taken
-- out of stdout, so specs compare what follows it).
function H.finish(p, timeout)
  local deadline = os.time() + (timeout or 30)
  while slurp(p.rcfile) == "" do
    if os.time() > deadline then
      H.signal(p, "KILL")
      error("timed out waiting for exit:\n" .. slurp(p.out) .. "\n" .. slurp(p.err))
    end
    sleep(0.02)
  end
  p.ended = H.now()
  local rc, out, err = tonumber(slurp(p.rcfile)), slurp(p.out), slurp(p.err)
  os.execute("rm -rf " .. sh_quote(p.dir))
  local attached, rest = out:match("^(Attaching %d+ probes?%.%.%.)\n(.*)$")
  return rc, rest or out, err, attached
end

-- Start luabpf with a script (or {"-e", code}) and args; wait until attached.
function H.tracer(script, ...)
  local words = { H.luabpf }
  for _, a in ipairs(type(script) == "table" and script or { script }) do
    words[#words + 1] = sh_quote(a)
  end
  for _, a in ipairs { ... } do words[#words + 1] = sh_quote(a) end
  local p = H.spawn(table.concat(words, " "))
  H.wait_for(p, "out", "Attaching %d+ probes?%.%.%.")
  return p
end

-- Seconds on the monotonic clock (luabpf's own, as no Lua has one).
function H.now()
  return require("luabpf.core").now() / 1e9
end

-- Stop a tracer like Ctrl-C would; returns what H.finish does.
function H.stop(p)
  H.signal(p, "INT")
  return H.finish(p)
end

-- Send sig (INT unless given) and wait for the exit: what H.finish
-- returns, then the seconds from the signal to the exit (seen within
-- H.finish's 20 ms polls).
function H.interrupt(p, sig, timeout)
  local t0 = H.now()
  H.signal(p, sig or "INT")
  local rc, out, err, attached = H.finish(p, timeout)
  return rc, out, err, attached, p.ended - t0
end

-- Run a command to completion; returns its stdout (errors if it fails).
function H.run(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"rc=$?\"")
  local out = f:read("*a")
  f:close()
  local body, rc = out:match("^(.*)rc=(%d+)\n$")
  if rc ~= "0" then error("command failed (" .. rc .. "): " .. cmd .. "\n" .. body) end
  return body
end

-- A workload that waits for SIGUSR1: returns handle plus pid and tids.
function H.workload(cmd)
  local p = H.spawn(cmd)
  local line = H.wait_for(p, "out", "(pid=%d+[^\n]*)\n")
  p.wpid = tonumber(line:match("pid=(%d+)"))
  p.tids = {}
  for t in (line:match("tids=([%d,]+)") or ""):gmatch("%d+") do p.tids[#p.tids + 1] = tonumber(t) end
  return p
end

-- Run `luabpf ARGS` (a shell-quoted string) to its end: rc and its
-- stdout and stderr together.
function H.luabpf_output(args)
  local f = io.popen(H.luabpf .. " " .. args .. " 2>&1; echo \"rc=$?\"")
  local out = f:read("*a")
  f:close()
  local body, rc = out:match("^(.*)rc=(%d+)\n$")
  return tonumber(rc), body
end

-- The shell command running Lua script path (a host program using
-- luabpf) under the specs' Lua with the in-tree build, then args.
function H.host_command(path, ...)
  local lmod = H.build .. "/share/lua/" .. H.lua_abi
  local lpath = lmod .. "/?.lua;" .. lmod .. "/?/init.lua;;"
  local cpath = H.build .. "/lib/lua/" .. H.lua_abi .. "/?.so;;"
  local words = { "env", "LUA_PATH=" .. sh_quote(lpath), "LUA_CPATH=" .. sh_quote(cpath),
                  H.lua_bin, sh_quote(path) }
  for _, a in ipairs { ... } do words[#words + 1] = sh_quote(a) end
  return table.concat(words, " ")
end

-- A script file with this text; returns its path.
function H.script(text)
  local path = os.tmpname() .. ".lua"
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

-- Run a command to its end whatever its status: rc, stdout, stderr.
function H.run_rc(cmd, timeout)
  return H.finish(H.spawn(cmd), timeout)
end

-- Non-empty lines of text.
function H.lines(text)
  local t = {}
  for l in text:gmatch("([^\n]*)\n") do
    if l ~= "" then t[#t + 1] = l end
  end
  return t
end

-- The compiler's standalone driver (spec/compiler/driver.c), built into
-- dir with the compiler and, for --plan, runtime/tpplan.c and what it
-- reads tracefs with (no libbpf, no Lua); returns its path.
function H.build_driver(dir)
  local driver = dir .. "/lbc_driver"
  H.run(("cc -std=gnu11 -Iluabpf -Ibpf -Ibuild/gen -o %s spec/compiler/driver.c luabpf/compiler/*.c " ..
    "luabpf/runtime/tpplan.c luabpf/runtime/tracefs.c luabpf/runtime/syscalls.c luabpf/runtime/caps.c " ..
    "luabpf/runtime/strlist.c"):format(driver))
  return driver
end

-- Parse "@name[k1, k2]: v" lines into { ["name"] = { ["k1, k2"] = v } }.
function H.parse_maps(text)
  local maps = {}
  for name, key, v in text:gmatch("@([%w_]*)%[([^\n]*)%]: (%-?%d+)\n") do
    maps[name] = maps[name] or {}
    maps[name][key] = tonumber(v)
  end
  return maps
end

-- luabpf's BPF programs loaded now (every session's, so compare counts
-- before and after within one spec).
-- luabpf's programs (lb_*) in the kernel that this spec run is answerable
-- for: those held by this process, the processes H.spawn started (the
-- shell leaves them to init) and their descendants, and those no process
-- holds (left behind). Programs of other
-- runs on the machine, held by their own processes, do not count.
function H.live_programs()
  local me = tonumber(io.open("/proc/self/stat"):read("l"):match("^%d+"))
  local holders = {} -- prog id -> pids holding it
  for line in H.run("grep -H '^prog_id:' /proc/[0-9]*/fdinfo/* 2>/dev/null; true"):gmatch("[^\n]+") do
    local pid, id = line:match("^/proc/(%d+)/fdinfo/%d+:prog_id:%s*(%d+)")
    if pid then
      holders[id] = holders[id] or {}
      holders[id][#holders[id] + 1] = tonumber(pid)
    end
  end
  local function ours(pid)
    for _ = 1, 64 do
      if pid == me or H.spawned[pid] then return true end
      local f = io.open("/proc/" .. pid .. "/stat")
      if not f then return false end
      local ppid = tonumber(f:read("l"):match("^%d+ %b() %S+ (%d+)"))
      f:close()
      if not ppid or ppid <= 1 then return false end
      pid = ppid
    end
    return false
  end
  local n = 0
  for id in H.run("bpftool prog show"):gmatch("\n?(%d+): [%w_]+%s+name lb_[a-z_]+") do
    local held, mine = holders[id], false
    for _, pid in ipairs(held or {}) do mine = mine or ours(pid) end
    if not held or mine then n = n + 1 end
  end
  return n
end

-- H.live_programs() once it is `want`, or after `timeout` s (5): the
-- kernel frees a raw tracepoint's program an RCU grace period after its
-- link is released, a moment after the tracer has exited.
function H.live_programs_settled(want, timeout)
  local deadline = os.time() + (timeout or 5)
  while true do
    local n = H.live_programs()
    if n == want or os.time() > deadline then return n end
    sleep(0.05)
  end
end

-- A comm unique to this run, so other processes never collide with it.
local serial = 0
function H.comm(prefix)
  serial = serial + 1
  return string.format("%s%d_%d", prefix, serial, math.random(1000, 9999))
end

return H
