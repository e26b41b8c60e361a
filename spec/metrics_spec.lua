-- Prometheus: `luabpf --metrics ADDR` serves the maps as the text
-- exposition format 0.0.4 while the script runs, a real Prometheus
-- (Debian's) scrapes it, and its query API gives back the exact counts
-- and sums the workloads made. s:metrics() is the same text for a host.
local H = require "spec.helper"

local SCRIPT = [[
local bpf = require "luabpf"
local target = arg[1]
local calls = bpf.map { name = "calls", labels = { "comm" } }
local sizes = bpf.map { labels = { "fd" } }
bpf.tracepoint("syscalls:sys_enter_getppid", function(e)
  if e.comm == target then calls[e.comm] = bpf.count() end
end)
bpf.tracepoint("syscalls:sys_enter_write", function(e)
  if e.comm == target and e.args.fd > 2 then sizes[e.args.fd] = bpf.hist(e.args.count) end
end)
]]

-- GET url with curl: status line, headers and body as one string.
local function curl(args)
  return H.run("curl -sS -i --max-time 10 " .. args)
end

-- A port nobody listens on: bound by a session of our own, then let go.
local function free_port()
  local s = require("luabpf").session()
  local addr = s:serve_metrics("127.0.0.1:0")
  s:close()
  return tonumber(addr:match(":(%d+)$"))
end

-- The value of one series from Prometheus's query API, or nil.
local function query(port, q)
  local body = H.run(string.format("curl -sS --max-time 5 --get --data-urlencode %s " ..
                                    "http://127.0.0.1:%d/api/v1/query", H.quote("query=" .. q), port))
  return tonumber(body:match('"value":%[[%d.]+,"(%-?[%d.]+)"%]')), body
end

describe("prometheus #kernel", function()
  setup(function() assert.is_true(H.is_root(), "kernel specs run as root") end)

  it("luabpf --metrics serves GET /metrics; Prometheus scrapes the exact counts and sums", function()
    local comm, dir = H.comm("lbprom"), H.tmpdir()
    local path = H.script(SCRIPT)
    local tracer, prom
    finally(function()
      if prom then H.signal(prom, "TERM"); pcall(H.finish, prom, 30) end
      if tracer then H.signal(tracer, "INT"); pcall(H.finish, tracer) end
      os.remove(path)
      os.execute("rm -rf " .. H.quote(dir))
    end)
    tracer = H.tracer({ "--metrics", "127.0.0.1:0", path }, comm)
    local addr = H.wait_for(tracer, "err", "Serving metrics at http://([%d.:]+)/metrics\n")
    H.run(H.bin .. "syscaller --calls 1234 --comm " .. comm)
    H.run(H.bin .. "writer --comm " .. comm .. " 5:100x7 6:4096x3")

    -- the exposition itself, line for line
    local resp = curl("http://" .. addr .. "/metrics")
    local head, body = resp:match("^(.-\r\n)\r\n(.*)$")
    assert.truthy(head:match("^HTTP/1%.1 200 OK\r\n"), resp)
    assert.truthy(head:find("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n", 1, true))
    assert.are.equal(#body, tonumber(head:match("\r\nContent%-Length: (%d+)\r\n")))
    local want = {
      "# HELP luabpf_calls_total @calls, a luabpf count() or sum() map",
      "# TYPE luabpf_calls_total counter",
      'luabpf_calls_total{comm="' .. comm .. '"} 1234',
      "# HELP luabpf_sizes @sizes, a luabpf hist() map",
      "# TYPE luabpf_sizes histogram",
    }
    -- every series of the map has the buckets from the lowest non-empty one
    -- of any, [64, 128), to the highest, [4096, 8192), cumulative
    local function series(fd, at, n, sum)
      for p = 7, 13 do
        local le = (1 << p) - 1
        want[#want + 1] = string.format('luabpf_sizes_bucket{fd="%d",le="%d"} %d', fd, le,
                                        le >= at and n or 0)
      end
      want[#want + 1] = string.format('luabpf_sizes_bucket{fd="%d",le="+Inf"} %d', fd, n)
      want[#want + 1] = string.format('luabpf_sizes_sum{fd="%d"} %d', fd, sum)
      want[#want + 1] = string.format('luabpf_sizes_count{fd="%d"} %d', fd, n)
    end
    series(5, 127, 7, 700)
    series(6, 8191, 3, 12288)
    assert.are.equal(table.concat(want, "\n") .. "\n", body)

    -- what else the listener answers
    assert.truthy(curl("http://" .. addr .. "/"):match("^HTTP/1%.1 404 Not Found\r\n"))
    local post = curl("-X POST http://" .. addr .. "/metrics")
    assert.truthy(post:match("^HTTP/1%.1 405 Method Not Allowed\r\n"), post)
    assert.truthy(post:find("\r\nAllow: GET\r\n", 1, true))

    -- a real Prometheus, on loopback only, with its own data directory
    local port = free_port()
    local cfg = io.open(dir .. "/prometheus.yml", "w")
    cfg:write(string.format([[
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: luabpf
    static_configs:
      - targets: ['%s']
]], addr))
    cfg:close()
    prom = H.spawn(string.format("prometheus --config.file=%s/prometheus.yml " ..
      "--storage.tsdb.path=%s/data --web.listen-address=127.0.0.1:%d", dir, dir, port))
    local calls, count, sum, inf, raw
    for _ = 1, 120 do -- until the first scrape lands (start-up takes a few seconds)
      H.sleep(0.5)
      if H.slurp(prom.rcfile) ~= "" then error("prometheus ended:\n" .. H.slurp(prom.err)) end
      local ok, v, b = pcall(query, port, 'luabpf_calls_total{comm="' .. comm .. '"}')
      calls, raw = ok and v or nil, b
      if calls then break end
    end
    assert.are.equal(1234, calls, raw)
    count = query(port, 'luabpf_sizes_count{fd="5"}')
    sum = query(port, 'luabpf_sizes_sum{fd="5"}')
    inf = query(port, 'luabpf_sizes_bucket{fd="6",le="+Inf"}')
    assert.are.equal(7, count)
    assert.are.equal(700, sum)
    assert.are.equal(3, inf)
    assert.are.equal(12288, (query(port, 'luabpf_sizes_sum{fd="6"}')))
    assert.are.equal(7, (query(port, 'luabpf_sizes_bucket{fd="5",le="127"}')))
    assert.are.equal(0, (query(port, 'luabpf_sizes_bucket{fd="6",le="4095"}')))
    assert.are.equal(1, (query(port, 'up{job="luabpf"}')))

    -- both stop cleanly; luabpf still prints its maps as bpftrace would
    H.signal(prom, "TERM")
    local prc, _, perr = H.finish(prom, 30)
    prom = nil
    assert.are.equal(0, prc, perr)
    local rc, out = H.stop(tracer)
    tracer = nil
    assert.are.equal(0, rc)
    assert.truthy(out:find("@calls[" .. comm .. "]: 1234\n", 1, true), out)
  end)

  it("s:metrics() gives a host the same text: tuple and keyless maps, names sanitized, " ..
     "label values escaped", function()
    local bpf = require "luabpf"
    -- a comm with a quote, a backslash and a newline: escaped as the format says
    local comm = 'q"\\\n' .. math.random(1000, 9999)
    local s = bpf.session()
    finally(function() s:close() end)
    local per = s:map()
    local lat = s:map { name = "lat", labels = { "who" } }
    local odd = s:map "odd-name.x" -- sanitized: luabpf_odd_name_x
    local at = s:vars()
    s:tracepoint("syscalls:sys_enter_getppid", function(e)
      if e.comm == comm then
        per[{ e.comm, 7 }] = bpf.sum(3)
        at.n = bpf.count()
        lat[e.comm] = bpf.lhist(25, 0, 100, 10)
        at.st = bpf.stats(5)
        at.lo = bpf.min(-2)
        odd[e.comm] = bpf.max(9)
      end
    end)
    s:start()
    H.run(H.bin .. "syscaller --calls 4 --comm " .. H.quote(comm))
    s:poll(0)
    local esc = comm:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", "\\n")
    assert.are.equal(table.concat({
      "# HELP luabpf_per_total @per, a luabpf count() or sum() map",
      "# TYPE luabpf_per_total counter",
      'luabpf_per_total{key1="' .. esc .. '",key2="7"} 12',
      "# HELP luabpf_lat @lat, a luabpf lhist() map",
      "# TYPE luabpf_lat histogram",
      'luabpf_lat_bucket{who="' .. esc .. '",le="29"} 4',
      'luabpf_lat_bucket{who="' .. esc .. '",le="+Inf"} 4',
      'luabpf_lat_sum{who="' .. esc .. '"} 100',
      'luabpf_lat_count{who="' .. esc .. '"} 4',
      "# HELP luabpf_odd_name_x @odd-name.x, a luabpf max() map",
      "# TYPE luabpf_odd_name_x gauge",
      'luabpf_odd_name_x{key="' .. esc .. '"} 9',
      "# HELP luabpf_n_total @n, a luabpf count() or sum() map",
      "# TYPE luabpf_n_total counter",
      "luabpf_n_total 4",
      "# HELP luabpf_st @st, a luabpf stats() map",
      "# TYPE luabpf_st summary",
      "luabpf_st_sum 20",
      "luabpf_st_count 4",
      "# HELP luabpf_lo @lo, a luabpf min() map",
      "# TYPE luabpf_lo gauge",
      "luabpf_lo -2",
    }, "\n") .. "\n", s:metrics())
  end)

  it("answers scrapes while idle connections wait, and refuses requests over 8 KiB", function()
    local comm = H.comm("lbidle")
    local tracer
    finally(function() if tracer then H.signal(tracer, "INT"); pcall(H.finish, tracer) end end)
    tracer = H.tracer({ "--metrics", "127.0.0.1:0", "-e", [[
      local n, target = map(), arg[1]
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm == target then n[e.comm] = count() end
      end)]] }, comm)
    local addr = H.wait_for(tracer, "err", "Serving metrics at http://([%d.:]+)/metrics\n")
    local host, port = addr:match("^(.*):(%d+)$")
    H.run(H.bin .. "syscaller --calls 5 --comm " .. comm)
    -- more silent connections than the listener keeps (16): the oldest go
    for _ = 1, 20 do
      os.execute(string.format("bash -c 'exec 3<>/dev/tcp/%s/%s; sleep 3' >/dev/null 2>&1 &",
                               host, port))
    end
    H.sleep(0.5)
    local resp = curl("http://" .. addr .. "/metrics")
    assert.truthy(resp:find('\nluabpf_n_total{key="' .. comm .. '"} 5\n', 1, true), resp)
    local big = curl("-H " .. H.quote("X-Big: " .. string.rep("x", 9000)) .. " http://" .. addr ..
                     "/metrics")
    assert.truthy(big:match("^HTTP/1%.1 431 Request Header Fields Too Large\r\n"), big)
    local rc, out = H.stop(tracer)
    tracer = nil
    assert.are.equal(0, rc)
    assert.are.equal("\n\n@n[" .. comm .. "]: 5\n", out)
  end)

  it("refuses a busy port, a bad address, and labels that do not fit the keys", function()
    local s = require("luabpf").session()
    finally(function() s:close() end)
    local addr = s:serve_metrics("127.0.0.1:0")
    local rc, out = H.luabpf_output("--metrics " .. addr .. " -e 'x = 1'")
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: cannot serve metrics on " .. addr .. ": Address already in use " ..
                     "(something else listens there: choose another port)\n", out)
    rc, out = H.luabpf_output("--metrics :9464 -e 'x = 1'")
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: bad metrics address ':9464': give HOST:PORT with a numeric " ..
                     "address (127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464 for every interface) " ..
                     "or a port\n", out)
    rc, out = H.luabpf_output("--metrics 127.0.0.1:99999 -e 'x = 1'")
    assert.are.equal(1, rc)
    assert.truthy(out:find("bad metrics address '127.0.0.1:99999'", 1, true))

    local script = H.script([[
local bpf = require "luabpf"
local m = bpf.map { labels = { "pid", "comm" } }
bpf.tracepoint("syscalls:sys_enter_getppid", function(e) m[e.pid] = bpf.count() end)
]])
    rc, out = H.luabpf_output(script)
    os.remove(script)
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: map @m was given 2 labels (pid, comm) but its keys have 1 part\n", out)
    rc, out = H.luabpf_output("-e 'local m = map { labels = { \"le\" } }'")
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: -e:1: bpf.map: label 'le' is reserved by Prometheus for histograms\n", out)
    rc, out = H.luabpf_output("-e 'local m = map { labels = { \"a-b\" } }'")
    assert.are.equal(1, rc)
    assert.truthy(out:find("label 1 (a-b) is not a Prometheus label name", 1, true), out)
  end)
end)
