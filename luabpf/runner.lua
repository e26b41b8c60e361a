-- The `luabpf` command: luabpf [-v] SCRIPT [ARGS...] | luabpf -e 'CODE' [ARGS...]
local bpf = require "luabpf"
local compat = require "luabpf.compat"

local runner = {}

local usage = [[
usage: luabpf [options] SCRIPT [ARGS...]
       luabpf [options] -e 'CODE' [ARGS...]
options:
  -e CODE   run CODE, with the luabpf functions as globals
  -l PATTERN   list probes matching PATTERN ('tracepoint:syscalls:sys_enter_*')
  -lv PATTERN  the same, with each probe's arguments and their C types
  -p PID    trace only process PID (uprobes and libraries resolved in it);
            the run ends when it does
  -c CMD    run CMD (through sh), trace only it, and end when it ends
  -f FORMAT output format: text (bpftrace's, the default), json
            (bpftrace's -f json: one JSON object per line) or folded
            (stack-keyed maps as folded stacks; the rest on stderr)
  --flamegraph FILE.svg  also write an SVG flame graph of the stack-keyed
            maps printed at the end
  -v        verbose: the whole verifier log when the kernel refuses a program
  --metrics ADDR  serve the maps to Prometheus at http://ADDR/metrics
            while the script runs (127.0.0.1:9464; a bare port is 127.0.0.1's)
  -h        show this help
SCRIPT's ARGS reach it as arg[1], arg[2], ...; Ctrl-C ends the run and
prints the maps, as bpftrace does.]]

-- -l / -lv: probes by pattern, like bpftrace -l / -lv.
local function list(pattern, verbose)
  local core = bpf._core
  local out = io.stdout
  local struct = pattern:match("^struct%s+(.+)$") or pattern:match("^union%s+(.+)$")
  if struct then -- -lv 'struct dentry'
    local text = core.kernel_types("struct", pattern)
    if text == "" then error("no " .. pattern .. " in the kernel's BTF", 0) end
    out:write(text)
    return
  end
  local kind, rest = pattern:match("^(%a+):(.*)$")
  if kind == "kfunc" or kind == "kretfunc" or kind == "f" or kind == "fr" then
    local glob = rest:match("^vmlinux:(.*)$") or rest
    for _, fn in ipairs(core.kernel_types("funcs", glob)) do
      if verbose then out:write(core.kernel_types("func", fn)) else out:write("kfunc:vmlinux:", fn, "\n") end
    end
    return
  elseif kind == "kprobe" or kind == "k" or kind == "kretprobe" or kind == "kr" then
    local ok, fns = pcall(core.kprobe_functions, rest)
    if not ok then error(fns, 0) end
    for _, fn in ipairs(fns) do out:write("kprobe:", fn, "\n") end
    return
  elseif kind == "uprobe" or kind == "u" or kind == "uretprobe" or kind == "ur" then
    local path, glob = rest:match("^(.*):([^:]*)$")
    for _, fn in ipairs(core.elf_functions(path or rest, glob or "*")) do
      out:write("uprobe:", path or rest, ":", fn, "\n")
    end
    return
  elseif kind == "usdt" or kind == "U" then
    local path, glob = rest:match("^([^:]*):?(.*)$")
    if glob == "" then glob = "*" end
    for _, p in ipairs(core.usdt_probes(path)) do
      local name = p[1] .. ":" .. p[2]
      if name:match("^" .. glob:gsub("[%^%$%(%)%%%.%[%]%+%-]", "%%%0"):gsub("%*", ".*"):gsub("%?", ".") .. "$") then
        out:write("usdt:", path, ":", name, "\n")
        if verbose then -- each call site, each argument as the note says and decoded
          local sites, err = core.usdt_sites(path, p[1], p[2])
          if not sites then out:write("    error: ", err, "\n") end
          for _, s in ipairs(sites or {}) do
            out:write(string.format("    site 0x%x (file offset 0x%x%s): %d argument%s\n", s[1], s[2],
              s[3] ~= 0 and string.format(", semaphore at 0x%x", s[3]) or "", #s[4],
              #s[4] == 1 and "" or "s"))
            for i, a in ipairs(s[4]) do
              out:write(string.format("        arg%d %s: %s\n", i - 1, a[1], a[2]))
            end
          end
        end
      end
    end
    return
  elseif kind == "t" or kind == "tracepoint" then
    pattern = rest
  elseif kind and not rest:find(":") then
    pattern = kind .. ":" .. rest -- "syscalls:sys_enter_*"
  elseif kind then
    error("listing " .. kind .. " probes is not supported", 0)
  end
  if not pattern:find(":") then pattern = "*:" .. pattern end
  for _, tp in ipairs(core.tracepoints(pattern)) do
    out:write("tracepoint:", tp, "\n")
    if verbose then
      local cat, name = tp:match("^([^:]+):(.*)$")
      out:write(core.tracepoint_fields(cat, name))
    end
  end
end

local function fail(msg)
  io.stderr:write("luabpf: ", tostring(msg):gsub("^luabpf: ", ""), "\n")
  os.exit(1)
end

-- -e code sees every bpf function as a global: a real table, since the
-- compiler looks globals up without running metamethods.
local function one_liner_env(args)
  local env = setmetatable({ arg = args }, { __index = _G })
  for k, v in pairs(bpf) do -- Lua's own globals (print) keep their meaning
    if type(k) == "string" and not k:match("^_") and _G[k] == nil then env[k] = v end
  end
  env.bpf = bpf
  return env
end

function runner.main(argv)
  -- Ctrl-C from the very start waits for the run: it then ends cleanly
  -- (maps printed, status 0) instead of interrupting the script's loading.
  bpf._core.block_signals()
  bpf._core.prepare_process()
  bpf.default_session().core:skip_self(true)
  local code, script, i = nil, nil, 1
  local format, flame -- -f, --flamegraph: consumers of the session's events
  while argv[i] do
    local a = argv[i]
    if a == "-e" then
      code = argv[i + 1] or fail("-e needs code")
      i = i + 2
      break
    elseif a == "-l" or a == "-lv" then
      local ok, err = pcall(list, argv[i + 1] or "*:*", a == "-lv")
      if not ok then fail(err) end
      return 0
    elseif a == "-p" then
      local pid = tonumber((argv[i + 1] or ""):match("^%d+$"))
      if not pid or pid < 1 then fail("-p needs a process id (a positive integer)") end
      if not io.open("/proc/" .. pid .. "/stat") then fail("-p " .. pid .. ": no such process") end
      local s = bpf.default_session()
      s:target_pid(pid)
      s.watch_pid = pid -- the run ends when the process does, as bpftrace -p
      i = i + 2
    elseif a == "-c" then
      local cmd = argv[i + 1] or fail("-c needs a command")
      local s = bpf.default_session()
      s.child, s.child_go = bpf._core.spawn(cmd)
      s:target_pid(s.child, true)
      i = i + 2
    elseif a == "-f" then
      format = argv[i + 1] or fail("-f needs a format (text, json or folded)")
      if not require("luabpf.stream").formats[format] then
        fail("unknown output format '" .. format .. "' (text, json or folded)")
      end
      i = i + 2
    elseif a == "--flamegraph" then
      local path = argv[i + 1] or fail("--flamegraph needs a file name")
      local err
      flame, err = io.open(path, "w")
      if not flame then fail("--flamegraph: " .. err) end
      i = i + 2
    elseif a == "--metrics" then
      local s = bpf.default_session()
      local ok, bound = pcall(s.core.serve_metrics, s.core, argv[i + 1] or
                              fail("--metrics needs an address, e.g. 127.0.0.1:9464"))
      if not ok then fail(bound) end
      io.stderr:write("Serving metrics at http://", bound, "/metrics\n")
      i = i + 2
    elseif a == "-v" then
      bpf.default_session().core:verbose(true)
      i = i + 1
    elseif a == "-h" or a == "--help" then
      print(usage)
      return 0
    elseif a:match("^%-") and a ~= "-" then
      fail("unknown option " .. a .. "\n" .. usage)
    else
      script = a
      i = i + 1
      break
    end
  end
  if not code and not script then fail(usage) end
  if format or flame then
    local stream = require "luabpf.stream"
    local consumer = stream.formats[format or "text"]()
    if flame then consumer = stream.tee(consumer, stream.flamegraph(flame)) end
    bpf.default_session():on_event(consumer, { merge_printf = format ~= "json" })
  end

  local args = { [0] = script or "-e" }
  for j = i, #argv do args[#args + 1] = argv[j] end
  _G.arg = args

  local chunk, err
  if code then
    bpf.register_source("=-e", code)
    chunk, err = compat.load(code, "=-e", one_liner_env(args))
  else
    -- Lua's parser raises (not returns) when nesting is too deep for it
    local ok
    ok, chunk, err = pcall(loadfile, script, "t")
    if not ok then chunk, err = nil, chunk end
    if not chunk and not tostring(err):find(script, 1, true) then
      err = script .. ": cannot load: " .. tostring(err)
    end
  end
  if not chunk then fail(err) end

  -- An error that says where it is (file:line:) is shown as is; anything
  -- else gets a traceback.
  local ok, e = xpcall(function() return chunk(compat.unpack(args)) end, function(m)
    if type(m) == "string" and m:match("^[^\n]-:%d+:") then return m end
    return debug.traceback(tostring(m), 2)
  end)
  if not ok then fail(e) end

  -- A script that did not call bpf.run() itself is run now.
  local s = bpf.default_session()
  if s:has_work() and not s.ran then
    ok, e = pcall(s.run, s)
    if not ok then fail(e) end
  end
  return 0
end

return runner
