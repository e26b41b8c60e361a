-- luabpf: bpftrace-style tracing from Lua. Kernel handlers are Lua
-- functions compiled to BPF plans; user handlers (BEGIN, END, interval)
-- are plain Lua run by the session's event loop.
local core = require "luabpf.core"
local output = require "luabpf.output"
local stream = require "luabpf.stream"
local compat = require "luabpf.compat"
local metrics = require "luabpf.metrics"

local M = {}
local Session = {}
Session.__index = Session

-- The session of each map (weak: a map does not keep its entry alive
-- beyond its own life), and the session whose user handler is running:
-- bpf.printf and bpf.print in BEGIN, END and interval handlers go there.
local owner = setmetatable({}, { __mode = "k" })
local current

-- ---- maps seen from Lua ----

-- m[k] is always the value under k (a key is never shadowed by a method
-- name); what is asked of a map as a whole goes through bpf.maps:
-- bpf.maps.entries(m), .name, .kind, .key_types, .lhist_range,
-- .hist_bits, .dropped, .memory.
local maps = core.map_methods
M.maps = maps

-- bpf.maps.folded(m), bpf.maps.flamegraph(m [, opts]): folded stacks
-- ("root;caller;leaf count" lines) and an SVG flame graph of a map keyed
-- by a stack (luabpf/flamegraph.lua).
local flamegraph = require "luabpf.flamegraph"
maps.folded = flamegraph.folded
maps.flamegraph = flamegraph.svg

core.map_mt.__tostring = function(m) return output.format_map(m) end
core.map_mt.__len = function(m) return #maps.entries(m) end
core.map_mt.__pairs = function(m)
  local rows, i = maps.entries(m), 0
  return function()
    i = i + 1
    local r = rows[i]
    if r then return r[1], r[2] end
  end, m, nil
end

-- A map event: the map as data (ev.map) and, when asked for, as
-- bpftrace's text (ev.text, top and div applied).
local map_event_mt = {
  __index = function(ev, k)
    if k == "text" then
      local text = output.format_map(ev.map, ev)
      rawset(ev, "text", text)
      return text
    end
  end,
}
local function map_event(m, opts)
  opts = opts or {}
  return setmetatable({ type = "map", map = m, top = opts.top, div = opts.div,
                        final = opts.final }, map_event_mt)
end

-- bpf.clear(m): bpftrace's clear(@m), in BEGIN, END, interval and hosts.
M.clear = core.map_clear

-- ---- sessions ----

-- "10s", "500ms", "100us", "2m" or "5hz" in nanoseconds (the parser
-- profile() uses too).
local function period_ns(spec)
  local use = "(use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")"
  if type(spec) ~= "string" and type(spec) ~= "number" then
    error("bad period: a " .. type(spec) .. " " .. use, 3)
  end
  local ns, err, long = core.period_ns(tostring(spec))
  if ns then return ns end
  error(long and err or err .. " " .. use, 3)
end

-- Errors from the C side: a compile error already says file:line:col;
-- anything else is reported at the user's call.
local function call(level, f, ...)
  local ok, a, b, c = pcall(f, ...)
  if ok then return a, b, c end
  if type(a) == "string" and a:match("^[^\n]-:%d+:%d+: ") then error(a, 0) end
  error(a, level + 1)
end

-- Marks the bit libraries loaded so far for the compiler (set below).
local mark_bitlibs

-- The text of line n of a chunk (the text luabpf kept for it, else its
-- file: only shown in a message), or nil.
local function source_line(chunk, n)
  local text = core.source_text(chunk)
  if not text and chunk:sub(1, 1) == "@" then text = core.read_chunk(chunk:sub(2)) end
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
    queue = { head = 1, tail = 0 },
  }, Session)
  s.core:merge_printf(true) -- the default consumer writes text out
  return s
end

-- `local s <close> = bpf.session()` detaches at the end of the scope.
Session.__close = function(s) s:close() end

local map_options = { name = "string", max_entries = "number", lru = "boolean",
                      labels = "table" }

-- s:map(), s:map "name", or s:map{name =, max_entries =, lru =, labels =}:
-- a map whose key and value types the first handler using it fixes;
-- labels name its key parts in the Prometheus exposition.
function Session:map(opts)
  local name, max, lru = opts, nil, nil
  if type(opts) == "table" then
    for k, v in pairs(opts) do
      if not map_options[k] then
        error(string.format("bpf.map: unknown option '%s' (known: name, max_entries, lru, labels)",
                            compat.clip(k)), 2)
      elseif type(v) ~= map_options[k] then
        error(string.format("bpf.map: %s must be a %s", k, map_options[k]), 2)
      end
    end
    name, max, lru = opts.name, opts.max_entries, opts.lru
    if max and (max ~= math.floor(max) or max < 1) then
      error("bpf.map: max_entries must be a positive integer", 2)
    end
  elseif name ~= nil and type(name) ~= "string" then
    error("bpf.map: the name must be a string, or a table of options", 2)
  end
  local m = call(2, self.core.map, self.core, name, max and math.floor(max), lru)
  if type(opts) == "table" and opts.labels then metrics.set_labels(m, opts.labels) end
  self.maps[#self.maps + 1] = m
  owner[m] = self
  return m
end

-- Map objects for the maps compiling added (bpf.vars() fields).
function Session:adopt_maps()
  for _, m in ipairs(self.core:maps_since(#self.maps)) do
    self.maps[#self.maps + 1] = m
    owner[m] = self
    if self.var_maps then self.var_maps[maps.name(m)] = m end
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

function Session:tracepoint(spec, fn)
  if type(spec) ~= "string" or type(fn) ~= "function" then
    error("usage: tracepoint(\"category:name\", function(e) ... end)", 2)
  end
  mark_bitlibs()
  local ok, n, note = pcall(self.core.tracepoint, self.core, spec, fn)
  self:adopt_maps()
  if not ok then
    if type(n) == "string" and n:match("^no tracepoint matches") then
      argument_error(2, n, spec, "luabpf -l 'tracepoint:" ..
        (spec:gsub("^t[a-z]*:", ""):match("^([^:]*)") or "*") .. ":*' lists them")
    end
    call(2, error, n)
  end
  if note then self:emit { type = "warning", text = note } end
  self.probes = self.probes + n
end

function Session:profile(rate, fn)
  if type(fn) ~= "function" or (type(rate) ~= "string" and type(rate) ~= "number") then
    error("usage: profile(\"99hz\" | \"10ms\", function(e) ... end)", 2)
  end
  mark_bitlibs()
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
    mark_bitlibs()
    local n, skipped, evex = call(2, self.core.probe, self.core, kind, spec, fn)
    self:adopt_maps()
    self.probes = self.probes + n
    if self.running then self:refused_warnings() end
    if #evex > 0 then
      self:emit { type = "warning", text = string.format(
        "Warning: %s: %d matching function%s skipped: %s with an AVX-512 (EVEX) " ..
        "instruction, whose result uprobes lose when they step over it (the traced " ..
        "program would go wrong): %s", spec, #evex, #evex == 1 and " was" or "s were",
        #evex == 1 and "it starts" or "they start", table.concat(evex, ", ")) }
    end
    if skipped > 0 then
      self:emit { type = "warning", text = string.format(
        "Warning: %s: %d matching function%s skipped (IFUNCs whose implementation " ..
        "cannot be known here: probe the implementation instead)", spec, skipped,
        skipped == 1 and " was" or "s were") }
    end
  end
end

-- Functions of a uprobe wildcard the kernel refused (ENOTSUPP: an
-- instruction uprobes cannot handle) were skipped at attach: one warning
-- per probe, naming them.
function Session:refused_warnings()
  for _, r in ipairs(self.core:refused()) do
    local names = {}
    for i = 1, math.min(#r.funcs, 20) do names[i] = r.funcs[i] end
    if #r.funcs > 20 then names[#names + 1] = string.format("and %d more", #r.funcs - 20) end
    self:emit { type = "warning", text = string.format(
      "Warning: %s: %d function%s the kernel cannot probe (ENOTSUPP: an instruction " ..
      "uprobes cannot handle) %s skipped: %s", r.spec, #r.funcs, #r.funcs == 1 and "" or "s",
      #r.funcs == 1 and "was" or "were", table.concat(names, ", ")) }
  end
end

-- A descriptor for a foreign event loop: readable whenever poll has work
-- (ring-buffer records, a due interval, a watched signal). The same one
-- for the session's life, before and after start.
function Session:fd()
  return self.core:fd()
end

-- SIGINT and SIGTERM end the session (poll returns false) instead of the
-- host: blocked in the host and read by poll until s:close(), which
-- gives back the host's mask and handlers.
function Session:watch_signals()
  self.restore_signals = self.restore_signals or core.block_signals()
  self.core:watch_signals()
end

-- By default no probe fires in the process that loaded it (luabpf
-- itself, or a host): a uprobe on malloc that prints would feed itself.
-- s:trace_self() (before start) lets a host trace its own process too.
function Session:trace_self(on)
  self.core:trace_self(on ~= false)
end

-- s:drop_caps(): the process gives up every capability once attached
-- (now, if it already is), as ebpf_exporter does: reading maps and the
-- ring buffer needs none. Nothing can be attached after it.
function Session:drop_caps()
  if self.running then
    self.core:drop_caps()
  else
    self.drop_caps_on_start = true
  end
end

-- Probes see only this process (luabpf -p PID, -c CMD).
function Session:target_pid(pid, child)
  self.core:target_pid(pid, child)
end

-- Settings for the handlers compiled after this (bpftrace's config
-- block): max_strlen, the size of strings handlers read (default 64);
-- ustack, "fp" (frame pointers, the default) or "dwarf" (user stacks
-- unwound in user space, README "Stacks").
function Session:config(t)
  call(2, self.core.config, self.core, t)
end

function Session:compile(spec, fn, fields)
  mark_bitlibs()
  local a, b = call(2, self.core.compile, self.core, spec, fn, fields)
  self:adopt_maps()
  return a, b
end

function Session:BEGIN(fn)
  if type(fn) ~= "function" then error("usage: BEGIN(function() ... end)", 2) end
  self.begins[#self.begins + 1] = fn
end
function Session:END(fn)
  if type(fn) ~= "function" then error("usage: END(function() ... end)", 2) end
  self.ends[#self.ends + 1] = fn
end

function Session:interval(period, fn)
  local ns = period_ns(period)
  if type(fn) ~= "function" then
    error("usage: interval(\"10s\" | \"500ms\" | \"5hz\", function() ... end)", 2)
  end
  local t = { every = ns, fn = fn }
  self.intervals[#self.intervals + 1] = t
  if self.running then
    t.due = core.now() + ns
    self:arm_timer()
  end
end

function Session:exit() self.exiting = true end

-- Something to run: a probe, or a user handler.
function Session:has_work()
  return self.probes > 0 or #self.begins > 0 or #self.ends > 0 or #self.intervals > 0
end

-- Maps that may take more than 64 MiB of kernel memory when full.
local warn_bytes = 64 * 1024 * 1024
local function memory_warnings(self)
  for _, m in ipairs(self.maps) do
    local bytes = maps.kind(m) ~= "none" and maps.memory(m) or 0
    if bytes > warn_bytes then
      self:emit { type = "warning", text = string.format(
        "Warning: %s may take up to %d MiB of kernel memory when full; " ..
        "bpf.map{max_entries = N} bounds it", output.map_name(m), compat.idiv(bytes, 1024 * 1024)) }
    end
  end
end

function Session:start()
  if self.running then return end
  if self.closed then error("the session is closed", 2) end
  for _, m in ipairs(self.maps) do
    local bad = metrics.check(m)
    if bad then error(bad, 0) end
  end
  -- attach errors name their probe: no Lua position to add
  local ok, n, interrupted = pcall(self.core.start, self.core)
  if not ok then error(n, 0) end
  self.attached = n
  self.running = true
  if self.drop_caps_on_start then
    ok, n = pcall(self.core.drop_caps, self.core)
    if not ok then
      self.core:detach()
      self.running = false
      error(n, 0)
    end
  end
  -- SIGINT/SIGTERM (held) during a long attach: nothing stays attached,
  -- and the run ends as a Ctrl-C after it would
  if interrupted then self.exiting = true end
  self:refused_warnings()
  local now = core.now()
  for _, t in ipairs(self.intervals) do t.due = now + t.every end
  self:arm_timer()
  memory_warnings(self)
end

-- The descriptor becomes readable when the next interval is due.
function Session:arm_timer()
  local due
  for _, t in ipairs(self.intervals) do
    if t.due and (not due or t.due < due) then due = t.due end
  end
  self.core:set_timer(due or 0)
end

-- Run a Lua callback of the session (a user handler, an event consumer)
-- with bpf.printf and bpf.print going to this session. Its error is
-- raised again with the callback's traceback.
-- The callback's own frames: luabpf's below it say nothing to the user.
-- An error luabpf's own code raised (a consumer that cannot write its
-- output) is a message to the user, without a traceback.
local libdir = debug.getinfo(1, "S").source:match("^(@.*/)[^/]*$") or "\0"
local function callback_traceback(msg)
  if type(msg) ~= "string" then return msg end
  local raiser = debug.getinfo(3, "S")
  if raiser and raiser.source:sub(1, #libdir) == libdir then return msg end
  local tb = debug.traceback(msg, 2)
  return tb:match("^(.-)\n%s*%[C%]: in function '[%w%.]*xpcall'") or tb
end

local function run_callback(self, fn, ...)
  local outer = current
  current = self
  core.interruptible(true) -- Ctrl-C ends `while true do end` too
  local ok, err = compat.xpcall(fn, callback_traceback, ...)
  core.interruptible(outer ~= nil)
  current = outer
  if not ok then error(err, 0) end
end

-- Events wait in the session's queue until their consumer took them: an
-- error in a consumer leaves the ones after it for the next poll.
local function deliver_queued(self)
  local q = self.queue
  while q.head <= q.tail do
    local ev = q[q.head]
    q[q.head] = nil
    q.head = q.head + 1
    if ev.type == "printf" and self.printf_handler then
      self.printf_handler(ev.text)
    else
      if not self.event_handler then self.event_handler = stream.text() end
      self.event_handler(ev)
    end
  end
end

function Session:push(ev)
  local q = self.queue
  q.tail = q.tail + 1
  q[q.tail] = ev
end

-- Hand the queued events to their consumers. Events emitted meanwhile
-- (bpf.printf in a consumer) join the end of the queue.
function Session:deliver()
  if self.delivering then return end
  self.delivering = true
  local ok, err = pcall(run_callback, self, deliver_queued, self)
  self.delivering = false
  if not ok then error(err, 0) end
end

function Session:emit(ev)
  self:push(ev)
  self:deliver()
end

-- One turn of the loop: wait up to timeout_ms (default: until the next
-- interval, or 1 s) for records or a signal, handle them, then run the
-- intervals that are due. Returns false once the session should stop.
-- An error in a callback it runs is raised from here; the session stays
-- as it was (probes attached, the events after the failing one waiting
-- for the next poll, a failing interval due again a period later).
function Session:poll(timeout_ms)
  if self.closed then error("the session is closed", 2) end
  self:deliver() -- what an earlier error left, first
  local now = core.now()
  local wait = timeout_ms or -1
  for _, t in ipairs(self.intervals) do
    local ms = t.due and compat.idiv(t.due - now + 999999, 1000000) or wait
    if wait < 0 or ms < wait then wait = ms end
  end
  if wait < 0 then wait = 1000 end
  local sig, ev = self.core:poll(math.max(wait, 0))
  if sig then self.exiting = true end
  self:handle(ev)
  now = core.now()
  for _, t in ipairs(self.intervals) do
    if not self.exiting and t.due and now >= t.due then
      t.due = t.due + t.every
      if t.due <= now then t.due = now + t.every end
      self:arm_timer()
      run_callback(self, t.fn)
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
      if m then self:push(map_event(m)) end
    elseif ev.type == "scrape" then -- GET /metrics: answered, not a stream event
      local ok, text = pcall(self.metrics, self)
      self.core:metrics_respond(ev.request, tostring(text), ok and 200 or 500)
    else
      if ev.type == "exit" then self.exiting = true end
      self:push(ev)
    end
  end
  self:emit { type = "flush" }
end

-- The maps in Prometheus's text format (luabpf/metrics.lua).
function Session:metrics()
  return metrics.render(self.maps)
end

-- Serve GET /metrics on addr ("127.0.0.1:9464") while the session polls;
-- returns the address bound (port 0 takes a free one).
function Session:serve_metrics(addr)
  if type(addr) ~= "string" then error("serve_metrics: give an address, e.g. \"127.0.0.1:9464\"", 2) end
  return (call(2, self.core.serve_metrics, self.core, addr))
end

-- Every map a handler uses, sorted by name as bpftrace prints them at
-- exit (empty ones too: bpftrace prints their blank line).
function Session:print_maps()
  local used = {}
  for _, m in ipairs(self.maps) do
    if maps.kind(m) ~= "none" then used[#used + 1] = m end
  end
  table.sort(used, function(a, b) return output.map_name(a) < output.map_name(b) end)
  self:emit { type = "end" }
  for _, m in ipairs(used) do self:push(map_event(m, { final = true })) end
  self:report_dropped()
  self:emit { type = "flush" }
  -- known once the maps are printed: kernel frames printed as addresses
  local hidden = self.core:ksyms_hidden()
  if hidden then
    self:emit { type = "warning", text = "Warning: kernel stacks and ksym() printed " ..
      "addresses: /proc/kallsyms hides them" .. (hidden ~= "" and hidden or " from luabpf") }
    self:emit { type = "flush" }
  end
end

-- A map that filled up refused new keys: say how many updates were lost.
-- A division by zero stopped handler runs (Lua would have raised).
function Session:report_dropped()
  -- one warning per division site, at its file:line:col; runs at sites
  -- beyond the counters' number are reported without a position
  local stopped, sites = self.core:divzero()
  local function warn(n, where)
    self:emit { type = "warning", text = string.format(
      "Warning: %s%d handler run%s stopped at an integer division or modulo by zero " ..
      "(Lua raises an error there; a kernel handler cannot)", where and where .. ": " or "",
      n, n == 1 and "" or "s") }
  end
  for _, site in ipairs(sites) do
    warn(site[2], site[1])
    stopped = stopped - site[2]
  end
  if stopped > 0 then warn(stopped) end
  for _, m in ipairs(self.maps) do
    local n = maps.dropped(m)
    if n > 0 then
      self:emit { type = "warning", text = string.format(
        "Warning: %s is full (%d keys): %d updates were dropped",
        output.map_name(m), maps.max_entries(m), n) }
    end
  end
end

-- Detach everything and free the kernel's side; maps read after this
-- raise an error. Closing twice is harmless.
function Session:close()
  self.core:close()
  self.running = false
  self.closed = true
  if self.restore_signals then
    self.restore_signals()
    self.restore_signals = nil
  end
end

-- The end of a run, as bpftrace does it: probes stop first (a map END
-- clears stays clear), what they sent before is drained, END handlers
-- run, the maps are printed, everything is closed. The first error of
-- these steps is raised once all of them ran.
function Session:finish()
  local first
  local function step(f, ...)
    local ok, err = pcall(f, ...)
    if not ok then first = first or err end
  end
  step(self.core.detach, self.core)
  step(function() self:handle(select(2, self.core:poll(0))) end)
  for _, fn in ipairs(self.ends) do step(run_callback, self, fn) end
  step(self.print_maps, self)
  self:close()
  if first then error(first, 0) end
end

-- The whole life of a script: attach, BEGIN, loop, END, print, detach.
-- An error in any handler ends the run (END handlers still run, the maps
-- are still printed) and is raised from here, the session closed. The
-- host's signal mask and handlers are as they were when this returns.
function Session:run()
  self.ran = true
  local restore = core.block_signals()
  local ok, err = pcall(function()
    self:start()
    self.core:watch_signals()
    local n = self.attached + #self.begins + #self.ends + #self.intervals
    local okb, errb = pcall(function()
      self:emit { type = "attached_probes", probes = n }
      for _, fn in ipairs(self.begins) do
        if not self.exiting then run_callback(self, fn) end
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
    end)
    local okf, errf = pcall(self.finish, self)
    if not okb then error(errb, 0) end
    if not okf then error(errf, 0) end
  end)
  if not ok then self:close() end
  restore()
  if not ok then error(err, 0) end
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
                        "target_pid", "fd", "watch_signals", "metrics", "serve_metrics",
                        "trace_self", "drop_caps" } do
  M[name] = function(...) local s = session(); return s[name](s, ...) end
end

-- Kernel-side builtins: recognised by the compiler, never called here.
for _, name in ipairs { "count", "sum", "min", "max", "avg", "stats", "hist", "lhist",
                        "kstack", "ustack", "str", "join" } do
  M[name] = function()
    error("bpf." .. name .. "() runs only inside kernel handlers", 2)
  end
  core.mark(M[name], name)
end
core.mark(M, "module")

-- LuaJIT's bit (lua-bitop's on Lua 5.1) and 5.2's bit32: in kernel
-- handlers bit.band(a, b) is a & b, and so on (64-bit, as every handler
-- value). Marked, never called here; again before each compile, for
-- libraries required after luabpf.
local bitlibs = {}
if _VERSION == "Lua 5.1" and not package.loaded.bit then pcall(require, "bit") end
mark_bitlibs = function()
  for _, lib in ipairs { package.loaded.bit or false, package.loaded.bit32 or rawget(_G, "bit32") or false } do
    if lib and not bitlibs[lib] and type(lib) == "table" then
      bitlibs[lib] = true
      core.mark(lib, "bit")
      for _, name in ipairs { "band", "bor", "bxor", "bnot", "lshift", "rshift", "arshift" } do
        if lib[name] then core.mark(lib[name], "bit." .. name) end
      end
    end
  end
end
mark_bitlibs()

-- printf and print: builtins in kernel handlers; in BEGIN, END and
-- interval handlers (and anywhere in user space) they put the same
-- events on the running session's stream, checked the same way.
local function argtype(v, i)
  if compat.isint(v) then return "int" end
  if type(v) == "string" then return "str" end
  error(string.format("bpf.printf: argument %d is %s; printf takes integers and strings",
                      i, type(v) == "number" and "float" or type(v)), 3)
end

function M.printf(fmt, ...)
  if type(fmt) ~= "string" then error("bpf.printf: the format must be a string", 2) end
  local types, values = {}, compat.pack(...)
  for i = 1, values.n do
    types[i] = argtype(values[i], i + 1)
    if types[i] == "int" then values[i] = compat.toint(values[i]) end
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
    owner[x]:emit(map_event(x, { top = top, div = div }))
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
-- Time: bpf.strftime(fmt, ns) is the text (ns since boot, as e.nsecs);
-- bpf.time([fmt]) prints the time now. In kernel handlers both are
-- rendered in user space when the record is printed.
function M.strftime(fmt, ns)
  if type(fmt) ~= "string" then error("bpf.strftime: the format must be a string", 2) end
  if not compat.isint(ns) then error("bpf.strftime: the time must be an integer (ns)", 2) end
  return core.strftime(fmt, compat.toint(ns))
end
core.mark(M.strftime, "strftime")
function M.time(fmt)
  if fmt ~= nil and type(fmt) ~= "string" then error("bpf.time: the format must be a string", 2) end
  M.printf("%s", core.strftime(fmt or "%H:%M:%S\n"))
end
core.mark(M.time, "time")
-- bpf.ntop([af,] addr): "127.0.0.1", "::1" (addr: an IPv4 integer, or 4
-- or 16 bytes in a string); a builtin in kernel handlers.
M.ntop = core.ntop
core.mark(M.ntop, "ntop")
-- bpf.exit() in a BEGIN, END or interval handler ends its own session.
function M.exit() (current or session()):exit() end
core.mark(M.exit, "exit")

-- O_*, PROT_*, MAP_*, E*, SIG* from the system headers, at build time.
M.constants = require "luabpf.constants"
M._VERSION = require "luabpf.version" -- from the VERSION file, at build time

-- ---- loading chunks: luabpf keeps the text Lua compiled ----
-- A handler compiles from the very text Lua compiled its chunk from
-- (luabpf/lsource.c checks it against the handler's bytecode). These
-- are Lua's load, loadfile and dofile and a package searcher that keep
-- that text; chunks Lua's own loaders loaded are read back (files) or
-- refused (load(src, "=name")) when a handler of them is compiled.

-- bpf.load(chunk [, chunkname [, mode [, env]]]): Lua 5.4's load, on
-- every Lua (env by setfenv on 5.1 and LuaJIT).
function M.load(chunk, name, mode, ...)
  local has_env, env = select("#", ...) > 0, ...
  if type(chunk) == "function" then -- a reader, as load takes
    local parts = {}
    while true do
      local piece = chunk()
      if piece == nil or piece == "" then break end
      if type(piece) ~= "string" then return nil, "reader function must return a string" end
      parts[#parts + 1] = piece
    end
    chunk, name = table.concat(parts), name or "=(load)"
  elseif type(chunk) ~= "string" then
    error("bad argument #1 to 'load' (string expected, got " .. type(chunk) .. ")", 2)
  end
  name = name or chunk
  local binary = chunk:byte(1) == 27
  if mode and not mode:find(binary and "b" or "t", 1, true) then
    return nil, string.format("attempt to load a %s chunk (mode is '%s')",
                              binary and "binary" or "text", mode)
  end
  local fn, err
  if setfenv then -- 5.1, LuaJIT
    fn, err = loadstring(chunk, name)
    if fn and has_env then setfenv(fn, env) end
  elseif has_env then
    fn, err = load(chunk, name, mode, env)
  else
    fn, err = load(chunk, name, mode)
  end
  if fn and not binary then core.add_source(name, chunk) end
  return fn, err
end

-- bpf.loadfile([path [, mode [, env]]]): Lua's loadfile (stdin without
-- a path), keeping the text it compiled.
function M.loadfile(path, mode, ...)
  local text, err = core.read_chunk(path)
  if not text then return nil, err end
  return M.load(text, path and "@" .. path or "=stdin", mode, ...)
end

-- bpf.dofile([path]): Lua's dofile through bpf.loadfile.
function M.dofile(path)
  local fn, err = M.loadfile(path)
  if not fn then error(err, 0) end
  return fn()
end

-- package.searchpath, which Lua 5.1 lacks.
local searchpath = package.searchpath or function(name, path)
  local tried = {}
  name = name:gsub("%.", package.config:sub(1, 1))
  for template in path:gmatch("[^;]+") do
    local file = template:gsub("%?", name)
    local f = io.open(file)
    if f then f:close() return file end
    tried[#tried + 1] = "\n\tno file '" .. file .. "'"
  end
  return nil, table.concat(tried)
end

-- bpf.searcher(name): Lua's searcher of Lua modules on package.path,
-- loading through bpf.loadfile. A host installs it before Lua's own:
--   table.insert(package.searchers or package.loaders, 2, bpf.searcher)
-- (the luabpf command does this for its scripts).
function M.searcher(name)
  local path, err = searchpath(name, package.path)
  if not path then return err end
  local fn, lerr = M.loadfile(path)
  if not fn then
    error(string.format("error loading module '%s' from file '%s':\n\t%s", name, path, lerr), 0)
  end
  return fn, path
end

M._core = core
return M
