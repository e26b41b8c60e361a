-- luabpf: bpftrace-style tracing from Lua. Kernel handlers are Lua
-- functions compiled to BPF plans; user handlers (BEGIN, END, interval)
-- are plain Lua run by the session's event loop.
local core = require "luabpf.core"
local output = require "luabpf.output"
local stream = require "luabpf.stream"

local M = {}
local Session = {}
Session.__index = Session

-- The session of each map (weak: a map does not keep its entry alive
-- beyond its own life), and the session whose user handler is running:
-- bpf.printf and bpf.print in BEGIN, END and interval handlers go there.
local owner = setmetatable({}, { __mode = "k" })
local current

-- ---- maps seen from Lua ----

local methods = core.map_methods

-- m:print{top =, div =}: a map event on the map's session's stream.
function methods.print(m, opts)
  opts = opts or {}
  owner[m]:emit { type = "map", map = m, top = opts.top, div = opts.div }
end

core.map_mt.__tostring = function(m) return output.format_map(m) end
core.map_mt.__len = function(m) return #m:entries() end
core.map_mt.__pairs = function(m)
  local rows, i = m:entries(), 0
  return function()
    i = i + 1
    local r = rows[i]
    if r then return r[1], r[2] end
  end, m, nil
end

-- ---- sessions ----

-- Parse "10s", "500ms", "100us", "2m" or "5hz" into nanoseconds.
local units = { ns = 1, us = 1000, ms = 1000000, s = 1000000000, m = 60000000000 }
local function period_ns(spec)
  local n, unit = tostring(spec):match("^(%d+)(%a+)$")
  n = tonumber(n)
  if n and unit == "hz" and n > 0 then return 1000000000 // n end
  if n and units[unit] and n > 0 then return n * units[unit] end
  error(string.format("bad period '%s' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")",
                      tostring(spec)), 3)
end

-- Errors from the C side: a compile error already says file:line:col;
-- anything else is reported at the user's call.
local function call(level, f, ...)
  local ok, a, b = pcall(f, ...)
  if ok then return a, b end
  if type(a) == "string" and a:match("^[^\n]-:%d+:%d+: ") then error(a, 0) end
  error(a, level + 1)
end

-- Sources of "=name" chunks (the runner's -e), as the compiler sees them.
local sources = {}

-- The text of line n of a chunk, or nil.
local function source_line(chunk, n)
  local text = sources[chunk]
  if not text and chunk:sub(1, 1) == "@" then
    local f = io.open(chunk:sub(2))
    if f then text = f:read("a") f:close() end
  end
  if not text then return nil end
  local i = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    i = i + 1
    if i == n then return line end
  end
end

-- An error about an argument of the user's call (a probe name): shown
-- like a compile error, file:line:col with the line and a caret under
-- the string it is about.
local function argument_error(level, msg, needle, hint)
  local info = debug.getinfo(level + 1, "Sl")
  local line = info and info.currentline > 0 and source_line(info.source, info.currentline)
  local col = line and line:find(needle, 1, true)
  if not col then error(msg, level + 1) end
  if line:sub(col - 1, col - 1):match("[\"']") then col = col - 1 end -- the literal's quote
  local where = info.source:gsub("^[@=]", "")
  error(string.format("%s:%d:%d: %s\n%s\n%s^%s", where, info.currentline, col, msg, line,
                      line:sub(1, col - 1):gsub("[^\t]", " "),
                      hint and ("\nhint: " .. hint) or ""), 0)
end

function M.session()
  local s = setmetatable({
    core = core.session(), maps = {}, begins = {}, ends = {}, intervals = {},
    probes = 0, running = false, exiting = false, merge_text = true,
  }, Session)
  s.core:merge_printf(true) -- the default consumer writes text out
  return s
end

function Session:map(name)
  if name ~= nil and type(name) ~= "string" then
    error("bpf.map: the name must be a string", 2)
  end
  local m = call(2, self.core.map, self.core, name)
  self.maps[#self.maps + 1] = m
  owner[m] = self
  return m
end

-- Map objects for the maps compiling added (bpf.vars() fields).
function Session:adopt_maps()
  for _, m in ipairs(self.core:maps_since(#self.maps)) do
    self.maps[#self.maps + 1] = m
    owner[m] = self
    if self.var_maps then self.var_maps[m:name()] = m end
  end
end

-- bpftrace's keyless maps: `local at = bpf.vars()`, then in handlers
-- at.total = bpf.count() (@total = count()), at._ = bpf.hist(x) (@ =
-- hist(x)). Each field is a map of its own with one value; from Lua,
-- at.total reads that value (nil before the first update). One table
-- per session: it is bpftrace's @ namespace.
function Session:vars()
  if self.vars_table then return self.vars_table end
  local maps = {}
  self.var_maps = maps
  self.vars_table = setmetatable({}, {
    __index = function(_, name)
      local m = maps[name]
      if m then return m[0] end
    end,
    __newindex = function()
      error("bpf.vars() fields are written by kernel handlers", 2)
    end,
    __pairs = function()
      local names = {}
      for name in pairs(maps) do names[#names + 1] = name end
      table.sort(names)
      local i = 0
      return function()
        i = i + 1
        local name = names[i]
        if name then return name, maps[name][0] end
      end
    end,
  })
  self.core:mark_vars(self.vars_table)
  return self.vars_table
end

-- ---- the event stream ----

-- Where events go: fn(event) for every event (see luabpf/stream.lua for
-- their kinds); nil restores the default, bpftrace's text on stdout and
-- stderr as the luabpf command prints it. opts.merge_printf: printf
-- records that arrive together may come as one event (its text theirs,
-- in order), for consumers that only write text out (the default does).
function Session:on_event(fn, opts)
  self.event_handler = fn
  self.merge_text = fn == nil or (opts and opts.merge_printf) or false
  self.core:merge_printf(self.merge_text and not self.printf_handler)
end

-- printf text to fn(text) instead of the event handler, one call per
-- record.
function Session:on_printf(fn)
  self.printf_handler = fn
  self.core:merge_printf(self.merge_text and not fn)
end

function Session:emit(ev)
  if ev.type == "printf" and self.printf_handler then
    return self.printf_handler(ev.text)
  end
  if not self.event_handler then self.event_handler = stream.text() end
  self.event_handler(ev)
end

function Session:tracepoint(spec, fn)
  if type(spec) ~= "string" or type(fn) ~= "function" then
    error("usage: tracepoint(\"category:name\", function(e) ... end)", 2)
  end
  local ok, n = pcall(self.core.tracepoint, self.core, spec, fn)
  self:adopt_maps()
  if not ok then
    if type(n) == "string" and n:match("^no tracepoint matches") then
      argument_error(2, n, spec, "luabpf -l 'tracepoint:" ..
        (spec:gsub("^t[a-z]*:", ""):match("^([^:]*)") or "*") .. ":*' lists them")
    end
    call(2, error, n)
  end
  self.probes = self.probes + n
end

function Session:profile(rate, fn)
  if type(fn) ~= "function" then
    error("usage: profile(\"99hz\" | \"10ms\", function(e) ... end)", 2)
  end
  local n = call(2, self.core.profile, self.core, tostring(rate), fn)
  self:adopt_maps()
  self.probes = self.probes + n
end

-- Kernel and user functions: kfunc, kretfunc, rawtracepoint (BTF),
-- kprobe, kretprobe, uprobe, uretprobe, usdt.
for _, kind in ipairs { "kfunc", "kretfunc", "rawtracepoint", "kprobe", "kretprobe",
                        "uprobe", "uretprobe", "usdt" } do
  Session[kind] = function(self, spec, fn)
    if type(spec) ~= "string" or type(fn) ~= "function" then
      error("usage: " .. kind .. "(\"...\", function(e) ... end)", 2)
    end
    local n = call(2, self.core.probe, self.core, kind, spec, fn)
    self:adopt_maps()
    self.probes = self.probes + n
  end
end

-- A descriptor that becomes readable when poll has work (records).
function Session:fd()
  return self.core:fd()
end

-- Probes see only this process (luabpf -p PID, -c CMD).
function Session:target_pid(pid, child)
  self.core:target_pid(pid, child)
end

-- Settings for the handlers compiled after this (bpftrace's config
-- block): max_strlen, the size of strings handlers read (default 64).
function Session:config(t)
  call(2, self.core.config, self.core, t)
end

function Session:compile(spec, fn, fields)
  local a, b = call(2, self.core.compile, self.core, spec, fn, fields)
  self:adopt_maps()
  return a, b
end

function Session:BEGIN(fn) self.begins[#self.begins + 1] = fn end
function Session:END(fn) self.ends[#self.ends + 1] = fn end

function Session:interval(period, fn)
  local ns = period_ns(period)
  self.intervals[#self.intervals + 1] = { every = ns, fn = fn }
end

function Session:exit() self.exiting = true end

-- Something to run: a probe, or a user handler.
function Session:has_work()
  return self.probes > 0 or #self.begins > 0 or #self.ends > 0 or #self.intervals > 0
end

function Session:start()
  if self.running then return end
  -- attach errors name their probe: no Lua position to add
  local ok, n = pcall(self.core.start, self.core)
  if not ok then error(n, 0) end
  self.attached = n
  self.running = true
  local now = core.now()
  for _, t in ipairs(self.intervals) do t.due = now + t.every end
end

-- Run user handlers; a Lua error ends the run (reported with traceback).
local function run_handler(self, fn)
  local outer = current
  current = self
  local ok, err = xpcall(fn, debug.traceback)
  current = outer
  if not ok then
    self.failed = err
    self.exiting = true
  end
end

-- One turn of the loop: wait up to timeout_ms (default: until the next
-- interval, or 1 s) for records or a signal, handle them, then run the
-- intervals that are due. Returns false once the session should stop.
function Session:poll(timeout_ms)
  local now = core.now()
  local wait = timeout_ms or -1
  for _, t in ipairs(self.intervals) do
    local ms = (t.due - now + 999999) // 1000000
    if wait < 0 or ms < wait then wait = ms end
  end
  if wait < 0 then wait = 1000 end
  local sig, ev = self.core:poll(math.max(wait, 0))
  if sig then self.exiting = true end
  self:handle(ev)
  now = core.now()
  for _, t in ipairs(self.intervals) do
    if not self.exiting and now >= t.due then
      t.due = t.due + t.every
      if t.due <= now then t.due = now + t.every end
      run_handler(self, t.fn)
    end
  end
  return not self.exiting
end

-- What the kernel said, in order: printf text, maps to print, exit,
-- lost records. Then a flush: the batch is out.
function Session:handle(events)
  for _, ev in ipairs(events or {}) do
    if ev.type == "print" then
      local m = self.maps[ev.map + 1]
      if m then self:emit { type = "map", map = m } end
    else
      if ev.type == "exit" then self.exiting = true end
      self:emit(ev)
    end
  end
  self:emit { type = "flush" }
end

-- Every map a handler uses, sorted by name as bpftrace prints them at
-- exit (empty ones too: bpftrace prints their blank line).
function Session:print_maps()
  local maps = {}
  for _, m in ipairs(self.maps) do
    if m:kind() ~= "none" then maps[#maps + 1] = m end
  end
  table.sort(maps, function(a, b) return output.map_name(a) < output.map_name(b) end)
  self:emit { type = "end" }
  for _, m in ipairs(maps) do self:emit { type = "map", map = m, final = true } end
  self:report_dropped()
  self:emit { type = "flush" }
end

-- A map that filled up refused new keys: say how many updates were lost.
function Session:report_dropped()
  for _, m in ipairs(self.maps) do
    local n = m:dropped()
    if n > 0 then
      self:emit { type = "warning", text = string.format(
        "Warning: %s is full (%d keys): %d updates were dropped",
        output.map_name(m), core.map_entries_max, n) }
    end
  end
end

function Session:close()
  self.core:close()
  self.running = false
end

-- The end of a run, as bpftrace does it: probes stop first (a map END
-- clears stays clear), what they sent before is drained, END handlers
-- run, the maps are printed, everything is closed.
function Session:finish()
  self.core:detach()
  self:handle(select(2, self.core:poll(0)))
  local failed = self.failed
  self.failed = nil
  for _, fn in ipairs(self.ends) do run_handler(self, fn) end
  self:print_maps()
  self:close()
  failed = failed or self.failed
  if failed then error(failed, 0) end
end

-- The whole life of a script: attach, BEGIN, loop, END, print, detach.
function Session:run()
  self.ran = true
  core.block_signals()
  self:start()
  self.core:watch_signals()
  local n = self.attached + #self.begins + #self.ends + #self.intervals
  self:emit { type = "attached_probes", probes = n }
  for _, fn in ipairs(self.begins) do
    if not self.exiting then run_handler(self, fn) end
  end
  self:emit { type = "flush" }
  if self.child_go then self.child_go() end -- luabpf -c: the command starts now
  local function gone(pid) -- the -p process has exited
    local f = io.open("/proc/" .. pid .. "/stat")
    if f then f:close() end
    return not f
  end
  while not self.exiting and self:poll((self.child or self.watch_pid) and 100 or nil) do
    if self.child and core.reap(self.child) then self.exiting = true end
    if self.watch_pid and gone(self.watch_pid) then self.exiting = true end
  end
  self:finish()
end

-- ---- the module: functions on a default session ----

local default
local function session()
  default = default or M.session()
  return default
end
M.default_session = session

for _, name in ipairs { "map", "vars", "tracepoint", "profile", "compile", "BEGIN", "END",
                        "interval", "exit", "run", "start", "poll", "close", "print_maps",
                        "on_printf", "on_event", "config", "kfunc", "kretfunc", "rawtracepoint",
                        "kprobe", "kretprobe", "uprobe", "uretprobe", "usdt",
                        "target_pid" } do
  M[name] = function(...) local s = session(); return s[name](s, ...) end
end

-- Kernel-side builtins: recognised by the compiler, never called here.
for _, name in ipairs { "count", "sum", "min", "max", "avg", "stats", "hist", "lhist",
                        "kstack", "ustack", "str" } do
  M[name] = function()
    error("bpf." .. name .. "() runs only inside kernel handlers", 2)
  end
  core.mark(M[name], name)
end
core.mark(M, "module")

-- printf and print: builtins in kernel handlers; in BEGIN, END and
-- interval handlers (and anywhere in user space) they put the same
-- events on the running session's stream, checked the same way.
local function argtype(v, i)
  if math.type(v) == "integer" then return "int" end
  if math.type(v) == "float" and v == math.floor(v) and v >= math.mininteger and v < 2^63 then
    return "int"
  end
  if type(v) == "string" then return "str" end
  error(string.format("bpf.printf: argument %d is %s; printf takes integers and strings",
                      i, math.type(v) or type(v)), 3)
end

function M.printf(fmt, ...)
  if type(fmt) ~= "string" then error("bpf.printf: the format must be a string", 2) end
  local types, values = {}, table.pack(...)
  for i = 1, values.n do
    types[i] = argtype(values[i], i + 1)
    if types[i] == "int" then values[i] = math.tointeger(values[i]) end
  end
  local text, err = core.fmt_render(fmt, types, values)
  if not text then error(err, 2) end
  local s = current or session()
  s:emit { type = "printf", text = text }
end
core.mark(M.printf, "printf")

-- print(@m, top, div) of a map, or a value.
function M.print(x, top, div)
  if getmetatable(x) == core.map_mt then
    x:print { top = top, div = div }
  else
    local s = current or session()
    s:emit { type = "value", value = x }
  end
end
core.mark(M.print, "print")
core.mark(print, "print") -- Lua's print in a kernel handler means the same

-- Symbols: user-space functions, and builtins inside kernel handlers.
M.ksym, M.usym = core.ksym, core.usym
core.mark(M.ksym, "ksym")
core.mark(M.usym, "usym")
core.mark(M.exit, "exit")

-- O_*, PROT_*, MAP_*, E*, SIG* from the system headers, at build time.
M.constants = require "luabpf.constants"
M._VERSION = require "luabpf.version" -- from the VERSION file, at build time

function M.register_source(chunk, text)
  sources[chunk] = text
  core.register_source(chunk, text)
end
M._core = core
return M
