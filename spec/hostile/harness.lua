-- Runs the hostile corpus (spec/hostile/corpus.lua) the way a user
-- meets it: a "lib" case is a luabpf one-liner run in this process (a
-- fresh session, its functions as globals, as `luabpf -e` offers them;
-- the chunk named "-e" so positions read as the command prints them),
-- then attached; a "cli" case is one luabpf process. Each returns what
-- the user would read.
local bpf = require "luabpf"
local runner = require "luabpf.runner"

local M = {}

-- The one-liner environment of `luabpf -e`, bound to session s. Session
-- methods are tail calls, so errors raised at level 2 point at the
-- script, as bpf.X's do.
local methods = { "map", "vars", "tracepoint", "profile", "BEGIN", "END", "interval",
                  "config", "kfunc", "kretfunc", "rawtracepoint", "kprobe", "kretprobe",
                  "uprobe", "uretprobe", "usdt" }

local function env_for(s)
  local env = setmetatable({ arg = { [0] = "-e" } }, { __index = _G })
  for k, v in pairs(bpf) do
    if type(k) == "string" and not k:match("^_") and _G[k] == nil then env[k] = v end
  end
  for _, name in ipairs(methods) do
    local f = s[name]
    env[name] = function(...) return f(s, ...) end
  end
  env.bpf = bpf
  return env
end

-- The message of a one-liner that fails, as `luabpf -e CODE` would print
-- it after "luabpf: " (nil if it loaded, compiled and attached).
function M.lib(code)
  local s = bpf.session()
  local chunk, err = runner.load(code, nil, env_for(s))
  local msg
  if not chunk then
    msg = err
  else
    local ran, e = pcall(chunk)
    if ran then ran, e = pcall(s.start, s) end
    if not ran then msg = e end
  end
  s:close()
  return msg
end

-- `luabpf ARGS...` (argv words) with a time limit: status and stdout
-- with stderr after it.
function M.cli(luabpf, args, timeout)
  local words = {}
  for i, a in ipairs(args) do words[i] = "'" .. a:gsub("'", "'\\''") .. "'" end
  local f = io.popen(string.format("timeout -s KILL %d %s %s </dev/null 2>&1; echo \"rc=$?\"",
    timeout or 20, luabpf, table.concat(words, " ")))
  local out = f:read("a")
  f:close()
  local body, rc = out:match("^(.*)rc=(%d+)\n$")
  return tonumber(rc), body
end

return M
