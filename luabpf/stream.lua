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
-- text is bpftrace 0.17's terminal output, json its -f json NDJSON.
local output = require "luabpf.output"
local json = require "luabpf.json"

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

stream.formats = { text = stream.text, json = stream.json }

return stream
