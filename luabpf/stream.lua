-- Consumers of a session's ordered event stream. A consumer is a
-- function of one event; the session calls it for each event in the
-- order they were produced. Events:
--   {type = "attached_probes", probes = n}
--   {type = "printf", text = s}
--   {type = "map", map = m, top = n, div = d, final = bool}  print(m), or the exit print
--   {type = "value", value = v}                             print(v) of a plain value
--   {type = "lost", count = n}                              ring-buffer records lost
--   {type = "warning", text = s}                            e.g. a full map
--   {type = "exit"}                                         bpf.exit() from a kernel handler
--   {type = "end"}                                          the run ended; the maps follow
--   {type = "flush"}                                        a batch ended: write out buffers
-- text is bpftrace 0.17's terminal output, json its -f json NDJSON,
-- folded the folded stacks of stack-keyed maps, flamegraph an SVG file.
local output = require "luabpf.output"
local json = require "luabpf.json"
local flamegraph = require "luabpf.flamegraph"

local stream = {}

local function plural(n) return n == 1 and "" or "s" end

-- Output that cannot be written (a full disk, a closed pipe or stdout) is
-- an error of the run, never lost in silence.
local function checked(f)
  local function check(ok, err)
    if not ok then error("cannot write the output: " .. tostring(err), 0) end
  end
  return {
    write = function(_, ...) check(f:write(...)) end,
    flush = function() check(f:flush()) end,
  }
end
stream.checked = checked

-- bpftrace's text: data on out, diagnostics on err (both flushed before
-- a diagnostic, so the two interleave as they happened).
function stream.text(out, err)
  out, err = checked(out or io.stdout), checked(err or io.stderr)
  local function diag(s)
    out:flush()
    err:write(s)
    err:flush()
  end
  return function(ev)
    local t = ev.type
    if t == "printf" then out:write(ev.text)
    elseif t == "map" then out:write(output.format_map(ev.map, ev))
    elseif t == "value" then out:write(output.value_text(ev.value), "\n")
    elseif t == "end" then out:write("\n\n")
    elseif t == "attached_probes" then -- bpftrace writes it with the data
      out:write(string.format("Attaching %d probe%s...\n", ev.probes, plural(ev.probes)))
      out:flush()
    elseif t == "lost" then diag(string.format("Lost %d events\n", ev.count))
    elseif t == "warning" then diag(ev.text .. "\n")
    elseif t == "flush" then out:flush()
    end
  end
end

-- bpftrace's -f json: one object per line.
function stream.json(out, err)
  out, err = checked(out or io.stdout), checked(err or io.stderr)
  return function(ev)
    local t = ev.type
    if t == "printf" then out:write(json.line("printf", json.string(ev.text)))
    elseif t == "map" then
      if #ev.map > 0 then out:write(json.map_line(ev.map, ev)) end
    elseif t == "value" then out:write(json.line("value", json.value(ev.value)))
    elseif t == "end" then out:write("\n\n")
    elseif t == "attached_probes" then
      out:write(json.line("attached_probes", string.format('{"probes": %d}', ev.probes)))
    elseif t == "lost" then
      out:write(json.line("lost_events", string.format('{"events": %d}', ev.count)))
    elseif t == "warning" then
      out:flush()
      err:write(ev.text, "\n")
    elseif t == "flush" then out:flush()
    end
  end
end

-- Folded stacks ("root;caller;leaf count" lines) of every printed map
-- keyed by a stack, on out (print's top: the top stacks by count): what
-- flamegraph.pl, speedscope and Pyroscope read. Everything else (printf
-- text, other maps, diagnostics) goes to err as bpftrace's text, so that
-- out holds folded lines only.
function stream.folded(out, err)
  out, err = out or io.stdout, err or io.stderr
  local text = stream.text(err, err)
  return function(ev)
    if ev.type == "map" then
      local list = flamegraph.stacks(ev.map)
      if list then return out:write(flamegraph.folded(list, ev.top)) end
    elseif ev.type == "flush" then
      out:flush()
    end
    text(ev)
  end
end

-- A flame graph (SVG) of the maps keyed by a stack that the run prints at
-- its end, written to out once they are all out (one map: its stacks;
-- several: each under a frame named after it). opts: as flamegraph.svg's.
function stream.flamegraph(out, opts)
  local ended, stacks, names = false, {}, {}
  return function(ev)
    if ev.type == "end" then
      ended = true
    elseif ev.type == "map" and ev.final and ended then
      local list = flamegraph.stacks(ev.map)
      if list then
        stacks[#stacks + 1], names[#names + 1] = list, output.map_name(ev.map)
      end
    elseif ev.type == "flush" and ended then
      ended = false
      local all = stacks[1] or {}
      if #stacks > 1 then
        all = {}
        for i, list in ipairs(stacks) do
          for _, s in ipairs(list) do
            local frames, kinds = { names[i] }, { "key" }
            table.move(s.frames, 1, #s.frames, 2, frames)
            table.move(s.kinds, 1, #s.kinds, 2, kinds)
            all[#all + 1] = { frames = frames, kinds = kinds, count = s.count }
          end
        end
      end
      local o = setmetatable({ title = "Flame Graph: " .. table.concat(names, ", ") },
                             { __index = opts })
      if opts and opts.title then o.title = opts.title end
      out:write(flamegraph.svg(all, o))
      out:flush()
      stacks, names = {}, {}
    end
  end
end

-- Events to each consumer in turn.
function stream.tee(...)
  local consumers = { ... }
  return function(ev)
    for _, c in ipairs(consumers) do c(ev) end
  end
end

stream.formats = { text = stream.text, json = stream.json, folded = stream.folded }

return stream
