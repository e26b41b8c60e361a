-- The `luabpf` command: luabpf [-v] SCRIPT [ARGS...] | luabpf -e 'CODE' [ARGS...]
local bpf = require "luabpf"
local compat = require "luabpf.compat"

local runner = {}

local usage = [[
usage: luabpf [options] SCRIPT [ARGS...]   (SCRIPT - : read it from stdin)
       luabpf [options] -e 'CODE' [ARGS...]
options:
  -e CODE   run CODE, with the luabpf functions as globals
  -l PATTERN   list probes matching PATTERN ('tracepoint:syscalls:sys_enter_*')
  -lv PATTERN  the same, with each probe's arguments and their C types
  -p PID    trace only process PID (uprobes and libraries resolved in it);
            the run ends when it does
  -c CMD    run CMD, trace only it and what it starts, and end when it
            ends (a simple command runs itself, others through /bin/sh)
  -f FORMAT output format: text (bpftrace's, the default), json
            (bpftrace's -f json: one JSON object per line) or folded
            (stack-keyed maps as folded stacks; the rest on stderr)
  --flamegraph FILE.svg  also write an SVG flame graph of the stack-keyed
            maps printed at the end
  -v        verbose: the whole verifier log when the kernel refuses a program
  --drop-caps  drop every capability once the probes are attached
  --metrics ADDR  serve the maps to Prometheus at http://ADDR/metrics
            while the script runs (127.0.0.1:9464; a bare port is 127.0.0.1's)
  -h        show this help
  -V, --version  show luabpf's version
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
    local fns = core.kernel_types("funcs", glob)
    if #fns == 0 and not glob:find("[*?[]") then
      error("no kernel function " .. compat.clip(glob) .. " in the kernel's BTF " ..
            "(luabpf -l 'kfunc:PATTERN' lists them)", 0)
    end
    for _, fn in ipairs(fns) do
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
  local tps = core.tracepoints(pattern)
  if #tps == 0 and not pattern:find("[*?[]") then
    error("no tracepoint " .. compat.clip(pattern) .. " (luabpf -l 'tracepoint:" ..
          compat.clip(pattern:match("^[^:]*")) .. ":*' lists them)", 0)
  end
  for _, tp in ipairs(tps) do
    out:write("tracepoint:", tp, "\n")
    if verbose then
      local cat, name = tp:match("^([^:]+):(.*)$")
      out:write(core.tracepoint_fields(cat, name))
    end
  end
end

local child -- -c's command: ended with luabpf, whatever way luabpf ends

local function fail(msg)
  if child then bpf._core.stop_child(child) end
  if type(msg) ~= "string" and type(msg) ~= "number" then -- error({}) in a script
    msg = "the script raised a " .. type(msg) .. " value, not an error message"
  end
  io.stderr:write("luabpf: ", tostring(msg):gsub("^luabpf: ", ""), "\n")
  os.exit(1)
end

-- -c CMD. A simple command (words of plain characters, '...' and "..."
-- without expansions in them) runs itself, as bpftrace's -c does, so its
-- pid is the command's; anything else runs through /bin/sh. Either way
-- the probes see the command and its descendants.
local sh_words = {} -- what a shell runs itself where there is no program of that name
for w in ([[. : break case cd continue do done elif else esac eval exec exit export fi for if
  in readonly return set shift then times trap ulimit umask unset until wait while alias
  command getopts hash jobs local read type]]):gmatch("%S+") do sh_words[w] = true end

local function simple_words(cmd)
  local words, pos = {}, cmd:find("%S") or #cmd + 1
  while pos <= #cmd do
    local word = {}
    while pos <= #cmd and not cmd:find("^%s", pos) do
      local plain = cmd:match("^[%w_%-%./,:=+@%%^]+", pos)
      local quoted = cmd:match("^'[^']*'", pos) or cmd:match('^"[^"$`\\]*"', pos)
      local piece = plain or quoted
      if not piece then return nil end -- shell syntax
      word[#word + 1] = plain or piece:sub(2, -2)
      pos = pos + #piece
    end
    if #words == 0 and word[1] and word[1]:find("=") then return nil end -- VAR=value cmd
    words[#words + 1] = table.concat(word)
    pos = cmd:find("%S", pos) or #cmd + 1
  end
  return words[1] and not sh_words[words[1]] and words or nil
end

local function start_command(cmd)
  local argv = simple_words(cmd)
  -- the program a shell would look for first: it must exist, as bpftrace asks
  local first = argv and argv[1] or cmd:match("^%s*([%w_%-%./+,@]+)[%s;&|<>)]") or
    cmd:match("^%s*([%w_%-%./+,@]+)%s*$")
  if not cmd:find("%S") then fail("-c needs a command") end
  if first and not sh_words[first] and not bpf._core.which(first) then
    fail(string.format("-c: '%s' does not exist or is not executable%s", compat.clip(first),
      first:find("/") and "" or " (searched PATH)"))
  end
  return bpf._core.spawn(argv or { "/bin/sh", "-c", cmd })
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

-- The script's chunk: -e's code (globals from env) or a file; nil and
-- one line saying why it does not load.
-- Through luabpf's loaders: handlers compile from the text Lua compiled.
function runner.load(code, script, env)
  -- Lua's parser raises (not returns) when nesting is too deep for it
  local ok, chunk, err
  if code then
    ok, chunk, err = pcall(bpf.load, code, "=-e", "t", env)
  else
    ok, chunk, err = pcall(bpf.loadfile, script ~= "-" and script or nil, "t")
  end
  if not ok then chunk, err = nil, chunk end
  if chunk then return chunk end
  local name = code and "-e" or script ~= "-" and script or "stdin"
  err = tostring(err)
  if not err:find(name, 1, true) then err = name .. ": cannot load: " .. err end
  if err:match("C stack overflow$") then
    err = err .. " (nested too deeply for Lua's parser: split the expression)"
  end
  return nil, err
end

function runner.main(argv)
  -- Ctrl-C from the very start waits for the run: it then ends cleanly
  -- (maps printed, status 0) instead of interrupting the script's loading.
  local unblock = bpf._core.block_signals()
  bpf._core.prepare_process()
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
      if not io.open("/proc/" .. pid .. "/stat") then
        fail("-p " .. compat.clip(argv[i + 1]) .. ": no such process")
      end
      local s = bpf.default_session()
      s:target_pid(pid)
      s.watch_pid = pid -- the run ends when the process does, as bpftrace -p
      i = i + 2
    elseif a == "-c" then
      local cmd = argv[i + 1] or fail("-c needs a command")
      local s = bpf.default_session()
      local ok, pid, go = pcall(start_command, cmd)
      if not ok then fail(pid) end
      child, s.child, s.child_go = pid, pid, go
      ok, pid = pcall(s.target_pid, s, child, true)
      if not ok then fail(pid) end
      i = i + 2
    elseif a == "-f" then
      format = argv[i + 1] or fail("-f needs a format (text, json or folded)")
      if not require("luabpf.stream").formats[format] then
        fail("unknown output format '" .. compat.clip(format) .. "' (text, json or folded)")
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
    elseif a == "--drop-caps" then
      bpf.default_session():drop_caps()
      i = i + 1
    elseif a == "-v" then
      bpf.default_session().core:verbose(true)
      i = i + 1
    elseif a == "-V" or a == "--version" then
      print("luabpf v" .. bpf._VERSION)
      return 0
    elseif a == "-h" or a == "--help" then
      print(usage)
      return 0
    elseif a:match("^%-") and a ~= "-" then
      fail("unknown option " .. compat.clip(a) .. " (luabpf -h lists the options)")
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

  -- modules the script requires load through luabpf too
  table.insert(package.searchers or package.loaders, 2, bpf.searcher)
  -- a script that is a FIFO no one writes to blocks in open(): Ctrl-C
  -- must still end it (nothing is attached yet)
  if script then unblock() end
  local chunk, err = runner.load(code, script, code and one_liner_env(args))
  if script then bpf._core.block_signals() end
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
  if child then bpf._core.stop_child(child) end
  return 0
end

return runner
