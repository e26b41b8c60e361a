-- Golden plans: one spec per construct of the kernel-handler subset.
-- Each listing was read once and checked by hand (jump targets, key
-- offsets after the ctx copy, register reuse), then frozen here.
local bpf = require "luabpf"

-- Fields of tracepoint:syscalls:sys_enter_write as the kernel describes them,
-- plus two made-up ones to show sizes and signedness.
local WRITE = {
  { name = "fd", off = 16, size = 8 },
  { name = "buf", off = 24, size = 8, string = true },
  { name = "count", off = 32, size = 8 },
  { name = "ret", off = 8, size = 4, signed = true },
  { name = "flag", off = 2, size = 1 },
}
local PROBE = "tracepoint:syscalls:sys_enter_write"

local function compile(s, fn, spec)
  return s:compile(spec or PROBE, fn, WRITE)
end

local function plan(lines)
  return table.concat(lines, "\n") .. "\n"
end

describe("compiler golden plans", function()
  local s
  before_each(function() s = bpf.session() end)

  it("count: m[e.pid] = bpf.count()", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  end',
    }, compile(s, function(e) m[e.pid] = bpf.count() end))
  end)

  it("sum: m[k] = bpf.sum(e.args.count) copies the ctx up to the field", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=40 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  field    r1 = ctx[32] len=8',
      '  2  put      scratch[40] = r0',
      '  3  map_add  slot=0 key@40 r1',
      '  4  end',
    }, compile(s, function(e) m[e.pid] = bpf.sum(e.args.count) end))
  end)

  it("m[k] = m[k] + x", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 3',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  end',
    }, compile(s, function(e) m[e.pid] = m[e.pid] + 3 end))
  end)

  it("m[k] = x + m[k]", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=24 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  field    r1 = ctx[16] len=8',
      '  2  put      scratch[24] = r0',
      '  3  map_add  slot=0 key@24 r1',
      '  4  end',
    }, compile(s, function(e) m[e.pid] = e.args.fd + m[e.pid] end))
  end)

  it("m[k] = m[k] - x negates a register value", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=6 ctx_copy=40 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  field    r1 = ctx[32] len=8',
      '  2  neg      r2 = -r1',
      '  3  put      scratch[40] = r0',
      '  4  map_add  slot=0 key@40 r2',
      '  5  end',
    }, compile(s, function(e) m[e.pid] = m[e.pid] - e.args.count end))
  end)

  it("m[k] = m[k] - constant folds the negation", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = -5',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  end',
    }, compile(s, function(e) m[e.pid] = m[e.pid] - 5 end))
  end)

  it("scalar int keys: constants, builtins and expressions", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=15 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  imm      r0 = 7',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  ctx      r0 = uid',
      '  5  imm      r1 = 1',
      '  6  put      scratch[0] = r0',
      '  7  map_add  slot=0 key@0 r1',
      '  8  ctx      r0 = gid',
      '  9  ctx      r1 = cpu',
      ' 10  add      r0 = r0 + r1',
      ' 11  imm      r1 = 1',
      ' 12  put      scratch[0] = r0',
      ' 13  map_add  slot=0 key@0 r1',
      ' 14  end',
    }, compile(s, function(e)
      m[7] = bpf.count()
      m[e.uid] = bpf.count()
      m[e.gid + e.cpu] = bpf.count()
    end))
  end)

  it("tuple key {pid, tid, comm}", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=8 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  ctx      r1 = tid',
      '  2  imm      r2 = 1',
      '  3  put      scratch[0] = r0',
      '  4  put      scratch[8] = r1',
      '  5  comm     scratch[16..32)',
      '  6  map_add  slot=0 key@0 r2',
      '  7  end',
    }, compile(s, function(e) m[{e.pid, e.tid, e.comm}] = bpf.count() end))
  end)

  it("tuple key {probe, comm}", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=6 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = probe',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  comm     scratch[8..24)',
      '  4  map_add  slot=0 key@0 r1',
      '  5  end',
    }, compile(s, function(e) m[{e.probe, e.comm}] = bpf.count() end))
  end)

  it("scalar comm key", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=4 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  imm      r0 = 1',
      '  1  comm     scratch[0..16)',
      '  2  map_add  slot=0 key@0 r0',
      '  3  end',
    }, compile(s, function(e) m[e.comm] = bpf.count() end))
  end)

  it("string-constant key m.total (and m[\"total\"] is the same key)", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=7 ctx_copy=40 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[32] len=8',
      '  1  strcpy   scratch[40..56) = pool[0] "total"',
      '  2  map_add  slot=0 key@40 r0',
      '  3  imm      r0 = 1',
      '  4  strcpy   scratch[40..56) = pool[0] "total"',
      '  5  map_add  slot=0 key@40 r0',
      '  6  end',
    }, compile(s, function(e)
      m.total = bpf.sum(e.args.count)
      m["total"] = m.total + 1
    end))
  end)

  it("a tuple mixing a string constant, an int and comm", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=7 ctx_copy=24 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[16] len=8',
      '  1  imm      r1 = 1',
      '  2  strcpy   scratch[24..40) = pool[0] "w"',
      '  3  put      scratch[40] = r0',
      '  4  comm     scratch[48..64)',
      '  5  map_add  slot=0 key@24 r1',
      '  6  end',
    }, compile(s, function(e) m[{"w", e.args.fd, e.comm}] = bpf.count() end))
  end)

  it("if / elseif / else, nested", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=32 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  eq       r0 = r0 == r1',
      '  3  jz       r0 -> 9',
      '  4  imm      r0 = 1',
      '  5  imm      r1 = 1',
      '  6  put      scratch[0] = r0',
      '  7  map_add  slot=0 key@0 r1',
      '  8  jmp      -> 31',
      '  9  ctx      r0 = pid',
      ' 10  imm      r1 = 2',
      ' 11  eq       r0 = r0 == r1',
      ' 12  jz       r0 -> 27',
      ' 13  ctx      r0 = tid',
      ' 14  imm      r1 = 5',
      ' 15  gt       r0 = r0 > r1',
      ' 16  jz       r0 -> 22',
      ' 17  imm      r0 = 2',
      ' 18  imm      r1 = 1',
      ' 19  put      scratch[0] = r0',
      ' 20  map_add  slot=0 key@0 r1',
      ' 21  jmp      -> 26',
      ' 22  imm      r0 = 3',
      ' 23  imm      r1 = 1',
      ' 24  put      scratch[0] = r0',
      ' 25  map_add  slot=0 key@0 r1',
      ' 26  jmp      -> 31',
      ' 27  imm      r0 = 4',
      ' 28  imm      r1 = 1',
      ' 29  put      scratch[0] = r0',
      ' 30  map_add  slot=0 key@0 r1',
      ' 31  end',
    }, compile(s, function(e)
      if e.pid == 1 then
        m[1] = bpf.count()
      elseif e.pid == 2 then
        if e.tid > 5 then m[2] = bpf.count() else m[3] = bpf.count() end
      else
        m[4] = bpf.count()
      end
    end))
  end)

  it("if without else, and an empty then-block", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=13 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  eq       r0 = r0 == r1',
      '  3  jz       r0 -> 4',
      '  4  ctx      r0 = tid',
      '  5  imm      r1 = 2',
      '  6  eq       r0 = r0 == r1',
      '  7  jz       r0 -> 12',
      '  8  imm      r0 = 2',
      '  9  imm      r1 = 1',
      ' 10  put      scratch[0] = r0',
      ' 11  map_add  slot=0 key@0 r1',
      ' 12  end',
    }, compile(s, function(e)
      if e.pid == 1 then end
      if e.tid == 2 then m[2] = bpf.count() end
    end))
  end)

  it("and / or / not short-circuit in conditions", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=17 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  eq       r0 = r0 == r1',
      '  3  jnz      r0 -> 8',
      '  4  ctx      r0 = tid',
      '  5  imm      r1 = 2',
      '  6  eq       r0 = r0 == r1',
      '  7  jz       r0 -> 16',
      '  8  ctx      r0 = uid',
      '  9  imm      r1 = 0',
      ' 10  eq       r0 = r0 == r1',
      ' 11  jnz      r0 -> 16',
      ' 12  imm      r0 = 5',
      ' 13  imm      r1 = 1',
      ' 14  put      scratch[0] = r0',
      ' 15  map_add  slot=0 key@0 r1',
      ' 16  end',
    }, compile(s, function(e)
      if (e.pid == 1 or e.tid == 2) and not (e.uid == 0) then m[5] = bpf.count() end
    end))
  end)

  it("or of ands, and not over or", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=33 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  eq       r0 = r0 == r1',
      '  3  jz       r0 -> 8',
      '  4  ctx      r0 = tid',
      '  5  imm      r1 = 2',
      '  6  eq       r0 = r0 == r1',
      '  7  jnz      r0 -> 16',
      '  8  ctx      r0 = uid',
      '  9  imm      r1 = 3',
      ' 10  eq       r0 = r0 == r1',
      ' 11  jz       r0 -> 20',
      ' 12  ctx      r0 = gid',
      ' 13  imm      r1 = 4',
      ' 14  eq       r0 = r0 == r1',
      ' 15  jz       r0 -> 20',
      ' 16  imm      r0 = 1',
      ' 17  imm      r1 = 1',
      ' 18  put      scratch[0] = r0',
      ' 19  map_add  slot=0 key@0 r1',
      ' 20  ctx      r0 = pid',
      ' 21  imm      r1 = 1',
      ' 22  eq       r0 = r0 == r1',
      ' 23  jnz      r0 -> 32',
      ' 24  ctx      r0 = tid',
      ' 25  imm      r1 = 2',
      ' 26  eq       r0 = r0 == r1',
      ' 27  jnz      r0 -> 32',
      ' 28  imm      r0 = 2',
      ' 29  imm      r1 = 1',
      ' 30  put      scratch[0] = r0',
      ' 31  map_add  slot=0 key@0 r1',
      ' 32  end',
    }, compile(s, function(e)
      if e.pid == 1 and e.tid == 2 or e.uid == 3 and e.gid == 4 then m[1] = bpf.count() end
      if not (e.pid == 1 or e.tid == 2) then m[2] = bpf.count() end
    end))
  end)

  it("and / or / not as values", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=25 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  eq       r0 = r0 == r1',
      '  3  jz       r0 -> 10',
      '  4  ctx      r0 = tid',
      '  5  imm      r1 = 2',
      '  6  ne       r0 = r0 ~= r1',
      '  7  jz       r0 -> 10',
      '  8  imm      r0 = 1',
      '  9  jmp      -> 11',
      ' 10  imm      r0 = 0',
      ' 11  jz       r0 -> 16',
      ' 12  ctx      r1 = uid',
      ' 13  imm      r2 = 0',
      ' 14  gt       r1 = r1 > r2',
      ' 15  jz       r1 -> 18',
      ' 16  imm      r1 = 1',
      ' 17  jmp      -> 19',
      ' 18  imm      r1 = 0',
      ' 19  jz       r1 -> 24',
      ' 20  imm      r2 = 6',
      ' 21  imm      r3 = 1',
      ' 22  put      scratch[0] = r2',
      ' 23  map_add  slot=0 key@0 r3',
      ' 24  end',
    }, compile(s, function(e)
      local b = e.pid == 1 and e.tid ~= 2
      local c = not b or e.uid > 0
      if c then m[6] = bpf.count() end
    end))
  end)

  it("every comparison", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=49 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  eq       r0 = r0 == r1',
      '  3  jz       r0 -> 8',
      '  4  imm      r0 = 1',
      '  5  imm      r1 = 1',
      '  6  put      scratch[0] = r0',
      '  7  map_add  slot=0 key@0 r1',
      '  8  ctx      r0 = pid',
      '  9  imm      r1 = 2',
      ' 10  ne       r0 = r0 ~= r1',
      ' 11  jz       r0 -> 16',
      ' 12  imm      r0 = 2',
      ' 13  imm      r1 = 1',
      ' 14  put      scratch[0] = r0',
      ' 15  map_add  slot=0 key@0 r1',
      ' 16  ctx      r0 = pid',
      ' 17  imm      r1 = 3',
      ' 18  lt       r0 = r0 < r1',
      ' 19  jz       r0 -> 24',
      ' 20  imm      r0 = 3',
      ' 21  imm      r1 = 1',
      ' 22  put      scratch[0] = r0',
      ' 23  map_add  slot=0 key@0 r1',
      ' 24  ctx      r0 = pid',
      ' 25  imm      r1 = 4',
      ' 26  le       r0 = r0 <= r1',
      ' 27  jz       r0 -> 32',
      ' 28  imm      r0 = 4',
      ' 29  imm      r1 = 1',
      ' 30  put      scratch[0] = r0',
      ' 31  map_add  slot=0 key@0 r1',
      ' 32  ctx      r0 = pid',
      ' 33  imm      r1 = 5',
      ' 34  gt       r0 = r0 > r1',
      ' 35  jz       r0 -> 40',
      ' 36  imm      r0 = 5',
      ' 37  imm      r1 = 1',
      ' 38  put      scratch[0] = r0',
      ' 39  map_add  slot=0 key@0 r1',
      ' 40  ctx      r0 = pid',
      ' 41  imm      r1 = 6',
      ' 42  ge       r0 = r0 >= r1',
      ' 43  jz       r0 -> 48',
      ' 44  imm      r0 = 6',
      ' 45  imm      r1 = 1',
      ' 46  put      scratch[0] = r0',
      ' 47  map_add  slot=0 key@0 r1',
      ' 48  end',
    }, compile(s, function(e)
      if e.pid == 1 then m[1] = bpf.count() end
      if e.pid ~= 2 then m[2] = bpf.count() end
      if e.pid < 3 then m[3] = bpf.count() end
      if e.pid <= 4 then m[4] = bpf.count() end
      if e.pid > 5 then m[5] = bpf.count() end
      if e.pid >= 6 then m[6] = bpf.count() end
    end))
  end)

  it("e.comm == / ~= a string, either side", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=16 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  comm     scratch[0..16)',
      '  1  streq    r0 = scratch[0..16) == pool[0] "bash"',
      '  2  jz       r0 -> 7',
      '  3  imm      r0 = 1',
      '  4  imm      r1 = 1',
      '  5  put      scratch[0] = r0',
      '  6  map_add  slot=0 key@0 r1',
      '  7  comm     scratch[0..16)',
      '  8  streq    r0 = scratch[0..16) == pool[16] "sh"',
      '  9  not      r0 = !r0',
      ' 10  jz       r0 -> 15',
      ' 11  imm      r0 = 2',
      ' 12  imm      r1 = 1',
      ' 13  put      scratch[0] = r0',
      ' 14  map_add  slot=0 key@0 r1',
      ' 15  end',
    }, compile(s, function(e)
      if e.comm == "bash" then m[1] = bpf.count() end
      if "sh" ~= e.comm then m[2] = bpf.count() end
    end))
  end)

  it("arithmetic: + - * // % and / (integer division)", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=37 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  add      r0 = r0 + r1',
      '  3  imm      r1 = 1',
      '  4  put      scratch[0] = r0',
      '  5  map_add  slot=0 key@0 r1',
      '  6  ctx      r0 = pid',
      '  7  imm      r1 = 2',
      '  8  sub      r0 = r0 - r1',
      '  9  imm      r1 = 1',
      ' 10  put      scratch[0] = r0',
      ' 11  map_add  slot=0 key@0 r1',
      ' 12  ctx      r0 = pid',
      ' 13  imm      r1 = 3',
      ' 14  mul      r0 = r0 * r1',
      ' 15  imm      r1 = 1',
      ' 16  put      scratch[0] = r0',
      ' 17  map_add  slot=0 key@0 r1',
      ' 18  ctx      r0 = pid',
      ' 19  imm      r1 = 4',
      ' 20  div      r0 = r0 // r1',
      ' 21  imm      r1 = 1',
      ' 22  put      scratch[0] = r0',
      ' 23  map_add  slot=0 key@0 r1',
      ' 24  ctx      r0 = pid',
      ' 25  imm      r1 = 5',
      ' 26  mod      r0 = r0 % r1',
      ' 27  imm      r1 = 1',
      ' 28  put      scratch[0] = r0',
      ' 29  map_add  slot=0 key@0 r1',
      ' 30  ctx      r0 = pid',
      ' 31  imm      r1 = 6',
      ' 32  div      r0 = r0 // r1',
      ' 33  imm      r1 = 1',
      ' 34  put      scratch[0] = r0',
      ' 35  map_add  slot=0 key@0 r1',
      ' 36  end',
    }, compile(s, function(e)
      m[e.pid + 1] = bpf.count()
      m[e.pid - 2] = bpf.count()
      m[e.pid * 3] = bpf.count()
      m[e.pid // 4] = bpf.count()
      m[e.pid % 5] = bpf.count()
      m[e.pid / 6] = bpf.count()
    end))
  end)

  it("constant folding follows Lua (floor division, modulo sign, shifts)", function()
    local m = s:map()
    -- 3 + -4 + -2 + 16 + 16 + 2 + 7 + 5 + -1 = 42
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  imm      r0 = 42',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  end',
    }, compile(s, function(e)
      m[7 // 2 + -7 // 2 + 7 % -3 + (1 << 4) + (256 >> 4) + (6 & 3) + (6 | 1) + (6 ~ 3) + ~0] = bpf.count()
    end))
  end)

  it("bit operations & | ~ << >>", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=19 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 255',
      '  2  band     r0 = r0 & r1',
      '  3  ctx      r1 = tid',
      '  4  imm      r2 = 3',
      '  5  bxor     r1 = r1 ~ r2',
      '  6  bor      r0 = r0 | r1',
      '  7  imm      r1 = 1',
      '  8  put      scratch[0] = r0',
      '  9  map_add  slot=0 key@0 r1',
      ' 10  ctx      r0 = uid',
      ' 11  imm      r1 = 2',
      ' 12  shl      r0 = r0 << r1',
      ' 13  imm      r1 = 1',
      ' 14  shr      r0 = r0 >> r1',
      ' 15  imm      r1 = 1',
      ' 16  put      scratch[0] = r0',
      ' 17  map_add  slot=0 key@0 r1',
      ' 18  end',
    }, compile(s, function(e)
      m[(e.pid & 255) | (e.tid ~ 3)] = bpf.count()
      m[(e.uid << 2) >> 1] = bpf.count()
    end))
  end)

  it("unary minus and bitwise not", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=15 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  neg      r0 = -r0',
      '  2  imm      r1 = 1',
      '  3  put      scratch[0] = r0',
      '  4  map_add  slot=0 key@0 r1',
      '  5  ctx      r0 = tid',
      '  6  bnot     r0 = ~r0',
      '  7  imm      r1 = 1',
      '  8  put      scratch[0] = r0',
      '  9  map_add  slot=0 key@0 r1',
      ' 10  imm      r0 = 3',
      ' 11  imm      r1 = 1',
      ' 12  put      scratch[0] = r0',
      ' 13  map_add  slot=0 key@0 r1',
      ' 14  end',
    }, compile(s, function(e)
      m[-e.pid] = bpf.count()
      m[~e.tid] = bpf.count()
      m[-(-3)] = bpf.count()
    end))
  end)

  it("locals and reassignment", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=15 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 10',
      '  2  add      r2 = r1 + r0',
      '  3  mov      r1 = r2',
      '  4  imm      r0 = 5',
      '  5  ctx      r2 = tid',
      '  6  imm      r3 = 0',
      '  7  gt       r2 = r2 > r3',
      '  8  jz       r2 -> 12',
      '  9  imm      r2 = 2',
      ' 10  mul      r2 = r0 * r2',
      ' 11  mov      r1 = r2',
      ' 12  put      scratch[0] = r1',
      ' 13  map_add  slot=0 key@0 r0',
      ' 14  end',
    }, compile(s, function(e)
      local x = e.pid
      local y = 10
      y = y + x
      x = 5
      if e.tid > 0 then y = x * 2 end
      m[y] = bpf.sum(x)
    end))
  end)

  it("locals in a block release their registers", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=9 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  ctx      r1 = tid',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  ctx      r0 = uid',
      '  5  imm      r1 = 1',
      '  6  put      scratch[0] = r0',
      '  7  map_add  slot=0 key@0 r1',
      '  8  end',
    }, compile(s, function(e)
      do
        local a, b = e.pid, e.tid
        m[a] = bpf.sum(b)
      end
      local c = e.uid
      m[c] = bpf.count()
    end))
  end)

  it("e.args fields: sizes, signedness, ctx_copy rounded up to 8", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=9 ctx_copy=24 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[16] len=8',
      '  1  field    r1 = ctx[8] len=4 signed',
      '  2  put      scratch[24] = r0',
      '  3  map_add  slot=0 key@24 r1',
      '  4  field    r0 = ctx[2] len=1',
      '  5  imm      r1 = 1',
      '  6  put      scratch[24] = r0',
      '  7  map_add  slot=0 key@24 r1',
      '  8  end',
    }, compile(s, function(e)
      m[e.args.fd] = bpf.sum(e.args.ret)
      m[e.args.flag] = bpf.count()
    end))
  end)

  it("e.args with a small field only", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=8 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[2] len=1',
      '  1  imm      r1 = 1',
      '  2  put      scratch[8] = r0',
      '  3  map_add  slot=0 key@8 r1',
      '  4  end',
    }, compile(s, function(e) m[e.args.flag] = bpf.count() end))
  end)

  it("the other event builtins", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=15 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  ctx      r1 = tid',
      '  2  ctx      r2 = uid',
      '  3  ctx      r3 = gid',
      '  4  ctx      r4 = cpu',
      '  5  ctx      r5 = nsecs',
      '  6  imm      r6 = 1',
      '  7  put      scratch[0] = r0',
      '  8  put      scratch[8] = r1',
      '  9  put      scratch[16] = r2',
      ' 10  put      scratch[24] = r3',
      ' 11  put      scratch[32] = r4',
      ' 12  put      scratch[40] = r5',
      ' 13  map_add  slot=0 key@0 r6',
      ' 14  end',
    }, compile(s, function(e)
      m[{e.pid, e.tid, e.uid, e.gid, e.cpu, e.nsecs}] = bpf.count()
    end))
  end)

  it("upvalue constants: numbers, strings, booleans", function()
    local m = s:map()
    local pid = 42
    local name = "bash"
    local on, off = true, false
    local big = 2 ^ 40 -- an integral float is an integer
    assert.are.equal(plan {
      'plan nops=21 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 42',
      '  2  eq       r0 = r0 == r1',
      '  3  jz       r0 -> 11',
      '  4  comm     scratch[0..16)',
      '  5  streq    r0 = scratch[0..16) == pool[0] "bash"',
      '  6  jz       r0 -> 11',
      '  7  imm      r0 = 84',
      '  8  imm      r1 = 1',
      '  9  put      scratch[0] = r0',
      ' 10  map_add  slot=0 key@0 r1',
      ' 11  jmp      -> 16',
      ' 12  imm      r0 = 1',
      ' 13  imm      r1 = 1',
      ' 14  put      scratch[0] = r0',
      ' 15  map_add  slot=0 key@0 r1',
      ' 16  imm      r0 = 1099511627776',
      ' 17  imm      r1 = 1',
      ' 18  put      scratch[0] = r0',
      ' 19  map_add  slot=0 key@0 r1',
      ' 20  end',
    }, compile(s, function(e)
      if e.pid == pid and on and not off and e.comm == name then m[pid * 2] = bpf.count() end
      if off then m[1] = bpf.count() end
      if on then m[big] = bpf.count() end
    end))
  end)

  it("a captured `local pid = 42` is a constant, like bpftrace's $1", function()
    local m = s:map()
    local pid = tonumber("42")
    assert.are.equal(plan {
      'plan nops=9 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 42',
      '  2  eq       r0 = r0 == r1',
      '  3  jz       r0 -> 8',
      '  4  ctx      r0 = tid',
      '  5  imm      r1 = 1',
      '  6  put      scratch[0] = r0',
      '  7  map_add  slot=0 key@0 r1',
      '  8  end',
    }, compile(s, function(e)
      if e.pid == pid then m[e.tid] = bpf.count() end
    end))
  end)

  it("a string upvalue as a map key", function()
    local m = s:map()
    local key = "writes"
    assert.are.equal(plan {
      'plan nops=4 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  imm      r0 = 1',
      '  1  strcpy   scratch[0..16) = pool[0] "writes"',
      '  2  map_add  slot=0 key@0 r0',
      '  3  end',
    }, compile(s, function(e) m[key] = bpf.count() end))
  end)

  it("local count = bpf.count and local sum = bpf.sum aliases", function()
    local m = s:map()
    local count, sum = bpf.count, bpf.sum
    assert.are.equal(plan {
      'plan nops=9 ctx_copy=40 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  put      scratch[40] = r0',
      '  3  map_add  slot=0 key@40 r1',
      '  4  ctx      r0 = tid',
      '  5  field    r1 = ctx[32] len=8',
      '  6  put      scratch[40] = r0',
      '  7  map_add  slot=0 key@40 r1',
      '  8  end',
    }, compile(s, function(e)
      m[e.pid] = count()
      m[e.tid] = sum(e.args.count)
    end))
  end)

  it("a local alias of the module inside the handler", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  end',
    }, compile(s, function(e)
      local b = bpf
      local c = b.count
      m[e.pid] = c()
    end))
  end)

  it("two maps in one handler get slots 0 and 1", function()
    local a, b = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=12 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  imm      r0 = 1',
      '  5  comm     scratch[0..16)',
      '  6  map_add  slot=1 key@0 r0',
      '  7  ctx      r0 = tid',
      '  8  imm      r1 = 1',
      '  9  put      scratch[0] = r0',
      ' 10  map_add  slot=0 key@0 r1',
      ' 11  end',
    }, compile(s, function(e)
      a[e.pid] = bpf.count()
      b[e.comm] = bpf.count()
      a[e.tid] = bpf.count()
    end))
  end)

  it("two handlers on the same source line are told apart", function()
    local a, b = s:map(), s:map()
    local pa = compile(s, function(e) a[e.pid] = bpf.count() end) local pb = compile(s, function(e) b[e.comm] = bpf.sum(e.tid) end)
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  end',
    }, pa)
    assert.are.equal(plan {
      'plan nops=4 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  comm     scratch[0..16)',
      '  2  map_add  slot=0 key@0 r0',
      '  3  end',
    }, pb)
    -- s:compile fixes no layout; probes do: a by int, b by string
    s:tracepoint("syscalls:sys_enter_write", function(e) a[e.pid] = bpf.count() end)
    s:tracepoint("syscalls:sys_enter_write", function(e) b[e.comm] = bpf.sum(e.tid) end)
    assert.has_error(function() compile(s, function(e) a[e.comm] = bpf.count() end) end)
    assert.has_error(function() compile(s, function(e) b[e.pid] = bpf.count() end) end)
    assert.is_string(compile(s, function(e) a[e.uid] = bpf.count() end))
    assert.is_string(compile(s, function(e) b["x"] = bpf.count() end))
  end)

  it("two handlers on one line with the same upvalues are told apart by their constants", function()
    local m = s:map()
    local pa = compile(s, function(e) m[e.pid] = bpf.count() end) local pb = compile(s, function(e) m[e.tid] = bpf.count() end)
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  end',
    }, pa)
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  end',
    }, pb)
  end)

  it("syscall-wildcard mode: sys_enter_*", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=6 ctx_copy=0 scratch=1024 sysmode=1 probe_id=0',
      '  0  ctx      r0 = probe',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  comm     scratch[8..24)',
      '  4  map_add  slot=0 key@0 r1',
      '  5  end',
    }, s:compile("syscalls:sys_enter_*", function(e) m[{e.probe, e.comm}] = bpf.count() end))
  end)

  it("syscall-wildcard mode: t:syscalls:sys_exit_*", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=2 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  end',
    }, s:compile("t:syscalls:sys_exit_*", function(e) m[e.pid] = bpf.count() end))
  end)

  it("return ends the handler early", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=10 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 0',
      '  2  eq       r0 = r0 == r1',
      '  3  jz       r0 -> 5',
      '  4  end',
      '  5  ctx      r0 = pid',
      '  6  imm      r1 = 1',
      '  7  put      scratch[0] = r0',
      '  8  map_add  slot=0 key@0 r1',
      '  9  end',
    }, compile(s, function(e)
      if e.pid == 0 then return end
      m[e.pid] = bpf.count()
    end))
  end)

  it("a comm string key wider than comm is zero padded", function()
    local m = s:map()
    s:tracepoint("syscalls:sys_enter_write", function(e) m["a-long-process-name-x"] = bpf.count() end)
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  imm      r0 = 1',
      '  1  comm     scratch[0..16)',
      '  2  strcpy   scratch[16..24) = pool[0] ""',
      '  3  map_add  slot=0 key@0 r0',
      '  4  end',
    }, compile(s, function(e) m[e.comm] = bpf.count() end))
  end)

  it("map read: presence is the condition, the value reads 0 when missing", function()
    local ts = s:map()
    assert.are.equal(plan {
      'plan nops=8 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  map_read r0 = slot=0 key@0, r1 = present',
      '  3  jz       r1 -> 7',
      '  4  ctx      r0 = pid',
      '  5  put      scratch[8] = r0',
      '  6  emit     scratch[0..16) printf fmt=0',
      '  7  end',
    }, compile(s, function(e)
      if ts[e.tid] then bpf.print(e.pid) end
    end))
  end)

  it("per-thread state: ts[e.tid] = e.nsecs, then e.nsecs - ts[e.tid], hist, delete", function()
    local ts, h = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  ctx      r1 = nsecs',
      '  2  put      scratch[0] = r0',
      '  3  map_set  slot=0 key@0 r1',
      '  4  end',
    }, compile(s, function(e) ts[e.tid] = e.nsecs end))
    assert.are.equal(plan {
      'plan nops=12 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = nsecs',
      '  1  ctx      r1 = tid',
      '  2  put      scratch[0] = r1',
      '  3  map_read r1 = slot=0 key@0, r2 = present',
      '  4  sub      r0 = r0 - r1',
      '  5  log2     r1 = log2(r0)',
      '  6  comm     scratch[0..16)',
      '  7  map_bucket slot=1 key@0 r1 len=66 sum+=r0',
      '  8  ctx      r1 = tid',
      '  9  put      scratch[0] = r1',
      ' 10  map_delete slot=0 key@0',
      ' 11  end',
    }, compile(s, function(e)
      local d = e.nsecs - ts[e.tid]
      h[e.comm] = bpf.hist(d)
      ts[e.tid] = nil
    end))
  end)

  it("m[k] = m[k] + x on a map read in the handler is an atomic add (map_xadd)", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=14 ctx_copy=40 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  field    r1 = ctx[32] len=8',
      '  2  put      scratch[40] = r0',
      '  3  map_xadd slot=0 key@40 r1',
      '  4  ctx      r0 = pid',
      '  5  put      scratch[40] = r0',
      '  6  map_read r0 = slot=0 key@40, r1 = present',
      '  7  imm      r2 = 100',
      '  8  gt       r0 = r0 > r2',
      '  9  jz       r0 -> 13',
      ' 10  ctx      r0 = pid',
      ' 11  put      scratch[40] = r0',
      ' 12  map_delete slot=0 key@40',
      ' 13  end',
    }, compile(s, function(e)
      m[e.pid] = m[e.pid] + e.args.count
      if m[e.pid] > 100 then m[e.pid] = nil end
    end))
  end)

  it("m[k] = m[k] + x on a map of plain values from another handler", function()
    local m = s:map()
    s:tracepoint("syscalls:sys_enter_write", function(e) m[e.pid] = 0 end)
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = -1',
      '  2  put      scratch[0] = r0',
      '  3  map_xadd slot=0 key@0 r1',
      '  4  end',
    }, compile(s, function(e) m[e.pid] = m[e.pid] - 1 end))
  end)

  it("m[k] = (m[k] or 0) + 1 is an atomic add too", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=4 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  imm      r0 = 1',
      '  1  comm     scratch[0..16)',
      '  2  map_xadd slot=0 key@0 r0',
      '  3  end',
    }, compile(s, function(e) m[e.comm] = (m[e.comm] or 0) + 1 end))
  end)

  it("m[k] = other[k] deletes when other[k] is missing", function()
    local m, n = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=10 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  ctx      r1 = tid',
      '  2  put      scratch[0] = r1',
      '  3  map_read r1 = slot=0 key@0, r2 = present',
      '  4  put      scratch[0] = r0',
      '  5  jz       r2 -> 8',
      '  6  map_set  slot=1 key@0 r1',
      '  7  jmp      -> 9',
      '  8  map_delete slot=1 key@0',
      '  9  end',
    }, compile(s, function(e) m[e.pid] = n[e.tid] end))
  end)

  it("min, max, avg, stats", function()
    local a, b, c, d = s:map(), s:map(), s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=13 ctx_copy=40 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[32] len=8',
      '  1  comm     scratch[40..56)',
      '  2  map_min  slot=0 key@40 r0',
      '  3  field    r0 = ctx[32] len=8',
      '  4  comm     scratch[40..56)',
      '  5  map_max  slot=1 key@40 r0',
      '  6  field    r0 = ctx[32] len=8',
      '  7  comm     scratch[40..56)',
      '  8  map_avg  slot=2 key@40 r0',
      '  9  field    r0 = ctx[32] len=8',
      ' 10  comm     scratch[40..56)',
      ' 11  map_avg  slot=3 key@40 r0',
      ' 12  end',
    }, compile(s, function(e)
      a[e.comm] = bpf.min(e.args.count)
      b[e.comm] = bpf.max(e.args.count)
      c[e.comm] = bpf.avg(e.args.count)
      d[e.comm] = bpf.stats(e.args.count)
    end))
  end)

  it("lhist(x, 0, 1000, 100): 12 buckets", function()
    local h = s:map()
    assert.are.equal(plan {
      'plan nops=7 ctx_copy=40 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  field    r1 = ctx[32] len=8',
      '  2  imm      r2 = 100',
      '  3  linear   r3 = linear(r1) min=0 step=r2 len=12',
      '  4  put      scratch[40] = r0',
      '  5  map_bucket slot=0 key@40 r3 len=12 sum+=r1',
      '  6  end',
    }, compile(s, function(e) h[e.pid] = bpf.lhist(e.args.count, 0, 1000, 100) end))
  end)

  it("printf: comm, int, string constant, string upvalue, after the ctx copy", function()
    local who = "writer"
    assert.are.equal(plan {
      'plan nops=9 ctx_copy=24 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  field    r1 = ctx[16] len=8',
      '  2  comm     scratch[32..48)',
      '  3  put      scratch[48] = r0',
      '  4  strcpy   scratch[56..64) = pool[0] "fd"',
      '  5  strcpy   scratch[64..72) = pool[8] "writer"',
      '  6  put      scratch[72] = r1',
      '  7  emit     scratch[24..80) printf fmt=0',
      '  8  end',
    }, compile(s, function(e)
      bpf.printf("%s %-6d %s %s %x\n", e.comm, e.pid, "fd", who, e.args.fd)
    end))
  end)

  it("printf: probe, ksym, usym, kstack, ustack(n)", function()
    assert.are.equal(plan {
      'plan nops=16 ctx_copy=40 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = probe',
      '  1  field    r1 = ctx[16] len=8',
      '  2  field    r2 = ctx[32] len=8',
      '  3  stack    r3 = kstack len=127',
      '  4  stack    r4 = ustack len=4',
      '  5  put      scratch[48] = r0',
      '  6  put      scratch[56] = r1',
      '  7  put      scratch[64] = r2',
      '  8  ctx      r5 = pid',
      '  9  put      scratch[72] = r5',
      ' 10  put      scratch[80] = r3',
      ' 11  put      scratch[88] = r4',
      ' 12  ctx      r5 = pid',
      ' 13  put      scratch[96] = r5',
      ' 14  emit     scratch[40..104) printf fmt=0',
      ' 15  end',
    }, compile(s, function(e)
      bpf.printf("%s %s %s %s %s\n", e.probe, bpf.ksym(e.args.fd), bpf.usym(e.args.count),
        e.kstack, bpf.ustack(4))
    end))
  end)

  it("print of a value and of a map, exit", function()
    local m = s:map()
    assert.are.equal(plan {
      'plan nops=15 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  comm     scratch[8..24)',
      '  5  emit     scratch[0..24) printf fmt=0',
      '  6  ctx      r0 = pid',
      '  7  imm      r1 = 1',
      '  8  add      r0 = r0 + r1',
      '  9  put      scratch[8] = r0',
      ' 10  emit     scratch[0..16) printf fmt=1',
      ' 11  emit     scratch[0..8) print map=0',
      ' 12  emit     scratch[0..8) exit',
      ' 13  end',
      ' 14  end',
    }, compile(s, function(e)
      m[e.pid] = bpf.count()
      bpf.print(e.comm)
      bpf.print(e.pid + 1)
      bpf.print(m)
      bpf.exit()
    end))
  end)

  it("stacks as map keys: e.kstack, and bpf.ustack(n) with its pid", function()
    local k, u = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=12 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  stack    r0 = kstack len=127',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  stack    r0 = ustack len=8',
      '  5  imm      r1 = 1',
      '  6  comm     scratch[0..16)',
      '  7  put      scratch[16] = r0',
      '  8  ctx      r2 = pid',
      '  9  put      scratch[24] = r2',
      ' 10  map_add  slot=1 key@0 r1',
      ' 11  end',
    }, compile(s, function(e)
      k[e.kstack] = bpf.count()
      u[{e.comm, bpf.ustack(8)}] = bpf.count()
    end))
  end)

  it("not, == nil, `or` defaults and a local holding a map value", function()
    local ts = s:map()
    assert.are.equal(plan {
      'plan nops=26 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  map_read r0 = slot=0 key@0, r1 = present',
      '  3  jz       r1 -> 9',
      '  4  ctx      r0 = tid',
      '  5  put      scratch[0] = r0',
      '  6  map_read r0 = slot=0 key@0, r1 = present',
      '  7  not      r0 = !r1',
      '  8  jz       r0 -> 10',
      '  9  end',
      ' 10  ctx      r0 = pid',
      ' 11  put      scratch[0] = r0',
      ' 12  map_read r0 = slot=0 key@0, r1 = present',
      ' 13  jz       r1 -> 16',
      ' 14  imm      r1 = 1',
      ' 15  jmp      -> 21',
      ' 16  ctx      r2 = tid',
      ' 17  put      scratch[0] = r2',
      ' 18  map_read r2 = slot=0 key@0, r3 = present',
      ' 19  mov      r0 = r2',
      ' 20  mov      r1 = r3',
      ' 21  jnz      r1 -> 23',
      ' 22  imm      r0 = 0',
      ' 23  put      scratch[8] = r0',
      ' 24  emit     scratch[0..16) printf fmt=0',
      ' 25  end',
    }, compile(s, function(e)
      if not ts[e.tid] or ts[e.tid] == nil then return end
      local t = ts[e.pid] or ts[e.tid] or 0
      bpf.print(t)
    end))
  end)

  it("a local holding a map value keeps its presence", function()
    local ts = s:map()
    assert.are.equal(plan {
      'plan nops=13 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  map_read r0 = slot=0 key@0, r1 = present',
      '  3  jz       r1 -> 9',
      '  4  imm      r2 = 5',
      '  5  gt       r2 = r0 > r2',
      '  6  jz       r2 -> 9',
      '  7  imm      r0 = 0',
      '  8  imm      r1 = 0',
      '  9  jz       r1 -> 12',
      ' 10  put      scratch[8] = r0',
      ' 11  emit     scratch[0..16) printf fmt=0',
      ' 12  end',
    }, compile(s, function(e)
      local t = ts[e.tid]
      if t ~= nil and t > 5 then t = nil end
      if t then bpf.print(t) end
    end))
  end)
end)

-- Strings (LB_OP_STR, COPY, DATALOC, SCMP, MAP_GETSTR/SETSTR) on
-- sys_enter_openat, whose filename is a char * into user memory. A char *
-- field is a number (its address) except where a string is needed: a map
-- key, a printf %s, a comparison with a string, a value stored in a map.
-- Temporaries (string map reads, comparisons, values) follow the key area.
local OPEN = {
  { name = "dfd", off = 16, size = 8 },
  { name = "filename", off = 24, size = 8, string = true },
  { name = "flags", off = 32, size = 8 },
}

describe("compiler golden plans: reusing a map read", function()
  -- `if m[k] then ... m[k] ... end`: inside the block, m[k] reuses the
  -- condition's value and presence registers when k is pure and nothing
  -- in between wrote m or rebound a name of k; otherwise it reads again.
  local s, ts, h
  before_each(function()
    s = bpf.session()
    ts, h = s:map(), s:map()
  end)
  local function reads(p)
    local n = 0
    for _ in p:gmatch("map_read") do n = n + 1 end
    return n
  end

  it("latency: e.nsecs - ts[e.tid] reuses the condition's read (r0, r1 kept)", function()
    assert.are.equal(plan {
      'plan nops=14 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  map_read r0 = slot=0 key@0, r1 = present',
      '  3  jz       r1 -> 13',
      '  4  ctx      r2 = probe',
      '  5  ctx      r3 = nsecs',
      '  6  sub      r3 = r3 - r0',
      '  7  log2     r4 = log2(r3)',
      '  8  put      scratch[0] = r2',
      '  9  map_bucket slot=1 key@0 r4 len=66 sum+=r3',
      ' 10  ctx      r2 = tid',
      ' 11  put      scratch[0] = r2',
      ' 12  map_delete slot=0 key@0',
      ' 13  end',
    }, compile(s, function(e)
      if ts[e.tid] then
        h[e.probe] = bpf.hist(e.nsecs - ts[e.tid])
        ts[e.tid] = nil
      end
    end))
  end)

  it("a tuple key of e.pid and a local (an e.args field), twice, in a nested if", function()
    assert.are.equal(plan {
      'plan nops=16 ctx_copy=24 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[16] len=8',
      '  1  ctx      r1 = pid',
      '  2  put      scratch[24] = r1',
      '  3  put      scratch[32] = r0',
      '  4  map_read r1 = slot=0 key@24, r2 = present',
      '  5  jz       r2 -> 15',
      '  6  ctx      r3 = uid',
      '  7  imm      r4 = 0',
      '  8  gt       r3 = r3 > r4',
      '  9  jz       r3 -> 15',
      ' 10  imm      r3 = 1',
      ' 11  add      r3 = r1 + r3',
      ' 12  put      scratch[32] = r1',
      ' 13  put      scratch[40] = r3',
      ' 14  emit     scratch[24..48) printf fmt=0',
      ' 15  end',
    }, compile(s, function(e)
      local k = e.args.fd
      if ts[{ e.pid, k }] then
        if e.uid > 0 then bpf.printf("%d %d\n", ts[{ e.pid, k }], ts[{ e.pid, k }] + 1) end
      end
    end))
  end)

  it("no registers are kept when the block does not read m[k] again", function()
    assert.are.equal(plan {
      'plan nops=8 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  map_read r0 = slot=0 key@0, r1 = present',
      '  3  jz       r1 -> 7',
      '  4  ctx      r0 = pid',
      '  5  put      scratch[8] = r0',
      '  6  emit     scratch[0..16) printf fmt=0',
      '  7  end',
    }, compile(s, function(e)
      if ts[e.tid] then bpf.print(e.pid) end
    end))
  end)

  it("not after a write to the map in between", function()
    assert.are.equal(plan {
      'plan nops=14 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  map_read r0 = slot=0 key@0, r1 = present',
      '  3  jz       r1 -> 13',
      '  4  ctx      r2 = tid',
      '  5  imm      r3 = 5',
      '  6  put      scratch[0] = r2',
      '  7  map_set  slot=0 key@0 r3',
      '  8  ctx      r2 = tid',
      '  9  put      scratch[0] = r2',
      ' 10  map_read r2 = slot=0 key@0, r3 = present',
      ' 11  put      scratch[8] = r2',
      ' 12  emit     scratch[0..16) printf fmt=0',
      ' 13  end',
    }, compile(s, function(e)
      if ts[e.tid] then
        ts[e.tid] = 5
        bpf.print(ts[e.tid])
      end
    end))
  end)

  it("not after a delete", function()
    assert.are.equal(plan {
      'plan nops=13 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  map_read r0 = slot=0 key@0, r1 = present',
      '  3  jz       r1 -> 12',
      '  4  ctx      r2 = tid',
      '  5  put      scratch[0] = r2',
      '  6  map_delete slot=0 key@0',
      '  7  ctx      r2 = tid',
      '  8  put      scratch[0] = r2',
      '  9  map_read r2 = slot=0 key@0, r3 = present',
      ' 10  put      scratch[8] = r2',
      ' 11  emit     scratch[0..16) printf fmt=0',
      ' 12  end',
    }, compile(s, function(e)
      if ts[e.tid] then
        ts[e.tid] = nil
        bpf.print(ts[e.tid])
      end
    end))
  end)

  it("not after a write in a nested if (on some path)", function()
    assert.are.equal(plan {
      'plan nops=18 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  map_read r0 = slot=0 key@0, r1 = present',
      '  3  jz       r1 -> 17',
      '  4  ctx      r2 = pid',
      '  5  imm      r3 = 1',
      '  6  eq       r2 = r2 == r3',
      '  7  jz       r2 -> 12',
      '  8  ctx      r2 = tid',
      '  9  imm      r3 = 2',
      ' 10  put      scratch[0] = r2',
      ' 11  map_set  slot=0 key@0 r3',
      ' 12  ctx      r2 = tid',
      ' 13  put      scratch[0] = r2',
      ' 14  map_read r2 = slot=0 key@0, r3 = present',
      ' 15  put      scratch[8] = r2',
      ' 16  emit     scratch[0..16) printf fmt=0',
      ' 17  end',
    }, compile(s, function(e)
      if ts[e.tid] then
        if e.pid == 1 then ts[e.tid] = 2 end
        bpf.print(ts[e.tid])
      end
    end))
  end)

  it("not with an e.nsecs key (it changes)", function()
    assert.are.equal(plan {
      'plan nops=10 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = nsecs',
      '  1  put      scratch[0] = r0',
      '  2  map_read r0 = slot=0 key@0, r1 = present',
      '  3  jz       r1 -> 9',
      '  4  ctx      r0 = nsecs',
      '  5  put      scratch[0] = r0',
      '  6  map_read r0 = slot=0 key@0, r1 = present',
      '  7  put      scratch[8] = r0',
      '  8  emit     scratch[0..16) printf fmt=0',
      '  9  end',
    }, compile(s, function(e)
      if ts[e.nsecs] then bpf.print(ts[e.nsecs]) end
    end))
  end)

  it("not with a different key", function()
    assert.are.equal(plan {
      'plan nops=10 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  map_read r0 = slot=0 key@0, r1 = present',
      '  3  jz       r1 -> 9',
      '  4  ctx      r0 = pid',
      '  5  put      scratch[0] = r0',
      '  6  map_read r0 = slot=0 key@0, r1 = present',
      '  7  put      scratch[8] = r0',
      '  8  emit     scratch[0..16) printf fmt=0',
      '  9  end',
    }, compile(s, function(e)
      if ts[e.tid] then bpf.print(ts[e.pid]) end
    end))
  end)

  it("not in the else branch, nor after the if", function()
    assert.are.equal(plan {
      'plan nops=19 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  map_read r0 = slot=0 key@0, r1 = present',
      '  3  jz       r1 -> 8',
      '  4  imm      r0 = 1',
      '  5  put      scratch[8] = r0',
      '  6  emit     scratch[0..16) printf fmt=0',
      '  7  jmp      -> 13',
      '  8  ctx      r0 = tid',
      '  9  put      scratch[0] = r0',
      ' 10  map_read r0 = slot=0 key@0, r1 = present',
      ' 11  put      scratch[8] = r0',
      ' 12  emit     scratch[0..16) printf fmt=0',
      ' 13  ctx      r0 = tid',
      ' 14  put      scratch[0] = r0',
      ' 15  map_read r0 = slot=0 key@0, r1 = present',
      ' 16  put      scratch[8] = r0',
      ' 17  emit     scratch[0..16) printf fmt=0',
      ' 18  end',
    }, compile(s, function(e)
      if ts[e.tid] then bpf.print(1) else bpf.print(ts[e.tid]) end
      bpf.print(ts[e.tid])
    end))
  end)

  it("not when a local of the key is assigned or shadowed in between", function()
    assert.are.equal(plan {
      'plan nops=18 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  put      scratch[0] = r0',
      '  2  map_read r1 = slot=0 key@0, r2 = present',
      '  3  jz       r2 -> 9',
      '  4  imm      r0 = 1',
      '  5  put      scratch[0] = r0',
      '  6  map_read r3 = slot=0 key@0, r4 = present',
      '  7  put      scratch[8] = r3',
      '  8  emit     scratch[0..16) printf fmt=0',
      '  9  put      scratch[0] = r0',
      ' 10  map_read r1 = slot=0 key@0, r2 = present',
      ' 11  jz       r2 -> 17',
      ' 12  imm      r3 = 2',
      ' 13  put      scratch[0] = r3',
      ' 14  map_read r4 = slot=0 key@0, r5 = present',
      ' 15  put      scratch[8] = r4',
      ' 16  emit     scratch[0..16) printf fmt=0',
      ' 17  end',
    }, compile(s, function(e)
      local k = e.pid
      if ts[k] then
        k = 1
        bpf.print(ts[k])
      end
      if ts[k] then
        local k = 2
        bpf.print(ts[k])
      end
    end))
  end)

  it("short of registers, the handler compiles as without reuse", function()
    local p = compile(s, function(e)
      if ts[e.tid] then
        bpf.print(e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.uid)))))))))))))))
        bpf.print(ts[e.tid])
      end
    end)
    assert.are.equal(2, reads(p))
    p = compile(s, function(e)
      if ts[e.tid] then
        bpf.print(e.pid + (e.pid + (e.uid)))
        bpf.print(ts[e.tid])
      end
    end)
    assert.are.equal(1, reads(p))
  end)
end)
describe("compiler golden plans: strings", function()
  local s
  before_each(function() s = bpf.session() end)
  local function compile(s, fn) return s:compile("tracepoint:syscalls:sys_enter_openat", fn, OPEN) end

  it("a char * field as a key is the string it points to (user memory in syscalls:*)", function()
    local m, names = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=32 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[24] len=8',
      '  1  imm      r1 = 1',
      '  2  str      scratch[32..96) = user r0 padded',
      '  3  map_add  slot=0 key@32 r1',
      '  4  end',
    }, compile(s, function(e)
      m[e.args.filename] = bpf.count()
    end))
  end)

  it("a tuple key of comm and a char * field", function()
    local m, names = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=6 ctx_copy=32 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[24] len=8',
      '  1  imm      r1 = 1',
      '  2  comm     scratch[32..48)',
      '  3  str      scratch[48..112) = user r0 padded',
      '  4  map_add  slot=0 key@32 r1',
      '  5  end',
    }, compile(s, function(e)
      m[{e.comm, e.args.filename}] = bpf.count()
    end))
  end)

  it("a char * field compared with a string constant", function()
    local m, names = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=9 ctx_copy=32 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[24] len=8',
      '  1  str      scratch[40..104) = user r0 padded',
      '  2  streq    r0 = scratch[40..56) == pool[0] "/etc/passwd"',
      '  3  jz       r0 -> 8',
      '  4  ctx      r0 = pid',
      '  5  imm      r1 = 1',
      '  6  put      scratch[32] = r0',
      '  7  map_add  slot=0 key@32 r1',
      '  8  end',
    }, compile(s, function(e)
      if e.args.filename == "/etc/passwd" then m[e.pid] = bpf.count() end
    end))
  end)

  it("a char * field compared with a number is its address", function()
    local m, names = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=9 ctx_copy=32 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[24] len=8',
      '  1  imm      r1 = 0',
      '  2  ne       r0 = r0 ~= r1',
      '  3  jz       r0 -> 8',
      '  4  ctx      r0 = pid',
      '  5  imm      r1 = 1',
      '  6  put      scratch[32] = r0',
      '  7  map_add  slot=0 key@32 r1',
      '  8  end',
    }, compile(s, function(e)
      if e.args.filename ~= 0 then m[e.pid] = bpf.count() end
    end))
  end)

  it("printf: %s reads the string, %x prints the address", function()
    local m, names = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=7 ctx_copy=32 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[24] len=8',
      '  1  field    r1 = ctx[24] len=8',
      '  2  comm     scratch[40..56)',
      '  3  str      scratch[56..120) = user r0',
      '  4  put      scratch[120] = r1',
      '  5  emit     scratch[32..128) printf fmt=0',
      '  6  end',
    }, compile(s, function(e)
      bpf.printf("%s %s %x\n", e.comm, e.args.filename, e.args.filename)
    end))
  end)

  it("bpf.str(p, n) reads n bytes at most (with the NUL), in an 8-byte slot", function()
    local m, names = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=4 ctx_copy=32 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[24] len=8',
      '  1  str      scratch[40..52) = user r0',
      '  2  emit     scratch[32..56) printf fmt=0',
      '  3  end',
    }, compile(s, function(e)
      bpf.printf("%s\n", bpf.str(e.args.filename, 12))
    end))
  end)

  it("bpf.str of a plain number reads user memory in syscalls:* probes", function()
    local m, names = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=4 ctx_copy=24 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[16] len=8',
      '  1  str      scratch[32..96) = user r0',
      '  2  emit     scratch[24..96) printf fmt=0',
      '  3  end',
    }, compile(s, function(e)
      bpf.print(bpf.str(e.args.dfd))
    end))
  end)

  it("bpf.str keys: a shorter read is zero padded to its slot", function()
    local m, names = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=6 ctx_copy=32 scratch=1024 sysmode=0 probe_id=0',
      '  0  field    r0 = ctx[24] len=8',
      '  1  imm      r1 = 1',
      '  2  strcpy   scratch[48..56) = pool[0] ""',
      '  3  str      scratch[32..52) = user r0 padded',
      '  4  map_add  slot=0 key@32 r1',
      '  5  end',
    }, compile(s, function(e)
      m[bpf.str(e.args.filename, 20)] = bpf.count()
    end))
  end)

  it("string map: names[e.tid] = e.args.filename", function()
    local m, names = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=6 ctx_copy=32 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  field    r1 = ctx[24] len=8',
      '  2  put      scratch[32] = r0',
      '  3  str      scratch[40..104) = user r1 padded',
      '  4  map_setstr slot=0 key@32 scratch[40..104)',
      '  5  end',
    }, compile(s, function(e)
      names[e.tid] = e.args.filename
    end))
  end)

  it("string map: present test, printf %s of the value, delete", function()
    local m, names = s:map(), s:map()
    s:tracepoint("syscalls:sys_enter_openat", function(e) names[e.tid] = e.args.filename end)
    assert.are.equal(plan {
      'plan nops=13 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  map_getstr scratch[72..136) = slot=0 key@0, r0 = present',
      '  3  jz       r0 -> 9',
      '  4  ctx      r0 = tid',
      '  5  put      scratch[0] = r0',
      '  6  map_getstr scratch[136..200) = slot=0 key@0, r0 = present',
      '  7  copy     scratch[8..72) = scratch[136..200)',
      '  8  emit     scratch[0..72) printf fmt=0',
      '  9  ctx      r0 = tid',
      ' 10  put      scratch[0] = r0',
      ' 11  map_delete slot=0 key@0',
      ' 12  end',
    }, compile(s, function(e)
      if names[e.tid] then bpf.printf("%s\n", names[e.tid]) end
      names[e.tid] = nil
    end))
  end)

  it("string map values compared with \"\" (absent reads as \"\") and with e.comm, and as a key", function()
    local m, names = s:map(), s:map()
    s:tracepoint("syscalls:sys_enter_openat", function(e) names[e.tid] = e.args.filename end)
    assert.are.equal(plan {
      'plan nops=20 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  map_getstr scratch[64..128) = slot=0 key@0, r0 = present',
      '  3  streq    r0 = scratch[64..72) == pool[0] ""',
      '  4  not      r0 = !r0',
      '  5  jz       r0 -> 19',
      '  6  ctx      r0 = tid',
      '  7  put      scratch[0] = r0',
      '  8  map_getstr scratch[128..192) = slot=0 key@0, r0 = present',
      '  9  comm     scratch[192..208)',
      ' 10  scmp     r0 = scratch[128..144) == scratch[192..208)',
      ' 11  not      r0 = !r0',
      ' 12  jz       r0 -> 19',
      ' 13  ctx      r0 = tid',
      ' 14  put      scratch[0] = r0',
      ' 15  map_getstr scratch[208..272) = slot=0 key@0, r0 = present',
      ' 16  imm      r1 = 1',
      ' 17  copy     scratch[0..64) = scratch[208..272)',
      ' 18  map_add  slot=1 key@0 r1',
      ' 19  end',
    }, compile(s, function(e)
      if names[e.tid] ~= "" and names[e.tid] ~= e.comm then m[names[e.tid]] = bpf.count() end
    end))
  end)

  it("a local holding a string map value keeps its temporary", function()
    local m, names = s:map(), s:map()
    s:tracepoint("syscalls:sys_enter_openat", function(e) names[e.tid] = e.args.filename end)
    assert.are.equal(plan {
      'plan nops=10 ctx_copy=32 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[32] = r0',
      '  2  map_getstr scratch[104..168) = slot=0 key@32, r0 = present',
      '  3  field    r1 = ctx[24] len=8',
      '  4  str      scratch[168..232) = user r1 padded',
      '  5  scmp     r1 = scratch[104..168) == scratch[168..232)',
      '  6  jz       r1 -> 9',
      '  7  copy     scratch[40..104) = scratch[104..168)',
      '  8  emit     scratch[32..104) printf fmt=0',
      '  9  end',
    }, compile(s, function(e)
      local s = names[e.tid]
      if s == e.args.filename then bpf.print(s) end
    end))
  end)

  it("string map: constants and e.comm are zero padded to the value size; m[k] = other[k] deletes when missing", function()
    local m, names = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=20 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[0] = r0',
      '  2  comm     scratch[8..24)',
      '  3  strcpy   scratch[24..72) = pool[0] ""',
      '  4  map_setstr slot=0 key@0 scratch[8..72)',
      '  5  ctx      r0 = pid',
      '  6  put      scratch[0] = r0',
      '  7  strcpy   scratch[8..16) = pool[48] "x"',
      '  8  strcpy   scratch[16..72) = pool[56] ""',
      '  9  map_setstr slot=0 key@0 scratch[8..72)',
      ' 10  imm      r0 = 1',
      ' 11  ctx      r1 = tid',
      ' 12  put      scratch[0] = r1',
      ' 13  map_getstr scratch[8..72) = slot=0 key@0, r1 = present',
      ' 14  put      scratch[0] = r0',
      ' 15  jz       r1 -> 18',
      ' 16  map_setstr slot=0 key@0 scratch[8..72)',
      ' 17  jmp      -> 19',
      ' 18  map_delete slot=0 key@0',
      ' 19  end',
    }, compile(s, function(e)
      names[e.tid] = e.comm
      names[e.pid] = "x"
      names[1] = names[e.tid]
    end))
  end)

  it("string map read before the first set in the same handler", function()
    local m, names = s:map(), s:map()
    assert.are.equal(plan {
      'plan nops=11 ctx_copy=32 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = tid',
      '  1  put      scratch[32] = r0',
      '  2  map_getstr scratch[104..168) = slot=0 key@32, r0 = present',
      '  3  copy     scratch[40..104) = scratch[104..168)',
      '  4  emit     scratch[32..104) printf fmt=0',
      '  5  ctx      r0 = tid',
      '  6  field    r1 = ctx[24] len=8',
      '  7  put      scratch[32] = r0',
      '  8  str      scratch[104..168) = user r1 padded',
      '  9  map_setstr slot=0 key@32 scratch[104..168)',
      ' 10  end',
    }, compile(s, function(e)
      bpf.printf("%s\n", names[e.tid])
      names[e.tid] = bpf.str(e.args.filename)
    end))
  end)
end)

-- What the listing does not show: the printf formats (argument types,
-- offsets in the record, sizes), the map layouts the compiler fixes, and
-- the uses_stacks/uses_records flags, through the standalone driver
-- (spec/compiler/driver.c), built here with the compiler and format.c.
describe("compiler formats and map layouts (driver)", function()
  local H = require "spec.helper"
  local dir, driver

  setup(function()
    dir = H.tmpdir()
    driver = H.build_driver(dir)
  end)
  teardown(function() if dir then os.execute("rm -rf " .. dir) end end)

  -- compile lines first..last of `src` with upvalues `ups` (driver specs)
  local function drive(src, first, last, ups)
    local f = assert(io.open(dir .. "/h.lua", "w"))
    f:write(src)
    f:close()
    return H.run(("%s %s/h.lua %d %d --field fd:16:8 --field count:32:8 %s"):format(
      driver, dir, first, last, ups))
  end

  -- the same with the driver's arguments spelled out; the file is DIR/h.lua
  local function drive_args(src, first, last, args)
    local f = assert(io.open(dir .. "/h.lua", "w"))
    f:write(src)
    f:close()
    local p = io.popen(("%s %s/h.lua %d %d %s 2>&1"):format(driver, dir, first, last, args))
    local out = p:read("a")
    p:close() -- errors exit 1: the listing is the message
    local i, j = out:find(dir, 1, true)
    while i do
      out = out:sub(1, i - 1) .. "DIR" .. out:sub(j + 1)
      i, j = out:find(dir, 1, true)
    end
    return out
  end

  -- strings of every field kind: char[N] (array), __data_loc, char * into
  -- kernel memory; the string size (max_strlen); missing_field
  local STRSRC = [[
local bpf, m, names = ...
local f = function(e) if e.args.comm == "bash" and e.args.name ~= e.comm then m[{e.args.name, bpf.str(e.args.kp)}] = bpf.count() end end
local g = function(e) names[e.tid] = e.args.comm; bpf.printf("%s %s %s\n", e.args.comm, e.args.name, bpf.str(e.args.addr, 16)) end
local h = function(e) bpf.printf("%s: %s\n", e.comm, e.args.buf) end
local k = function(e) m[e.args.nope] = bpf.count() end
]]
  local SCHED = "--probe tracepoint:sched:sched_process_exec --field comm:8:16:array --field name:24:4:dataloc --field kp:32:8:kptr --field addr:40:8"
  it("char[N] compared in place, __data_loc and kernel char * strings as keys", function()
    local out = drive_args(STRSRC, 2, 2, '' .. SCHED .. ' bpf=module m=map:0 names=map:1')
    assert.are.equal(plan {
      "plan nops=15 ctx_copy=40 scratch=1024 sysmode=0 probe_id=0",
      "  0  streq    r0 = scratch[8..16) == pool[0] \"bash\"",
      "  1  jz       r0 -> 14",
      "  2  field    r0 = ctx[24] len=4",
      "  3  dataloc  scratch[168..232) = ctx loc r0 padded",
      "  4  comm     scratch[232..248)",
      "  5  scmp     r0 = scratch[168..184) == scratch[232..248)",
      "  6  not      r0 = !r0",
      "  7  jz       r0 -> 14",
      "  8  field    r0 = ctx[24] len=4",
      "  9  field    r1 = ctx[32] len=8",
      " 10  imm      r2 = 1",
      " 11  dataloc  scratch[40..104) = ctx loc r0 padded",
      " 12  str      scratch[104..168) = kernel r1 padded",
      " 13  map_add  slot=0 key@40 r2",
      " 14  end",
      "slots: 0->0",
      "map 0 @m keys=str:64,str:64 key_size=128 value_size=8 valkind=1 percpu=1",
    }, out)
  end)

  it("char[N] copied into a string map and a record; bpf.str of a plain number outside syscalls:* reads kernel memory", function()
    local out = drive_args(STRSRC, 3, 3, '' .. SCHED .. ' bpf=module m=map:0 names=map:1')
    assert.are.equal(plan {
      "plan nops=11 ctx_copy=48 scratch=1024 sysmode=0 probe_id=0",
      "  0  ctx      r0 = tid",
      "  1  put      scratch[48] = r0",
      "  2  copy     scratch[152..168) = scratch[8..24)",
      "  3  map_setstr slot=0 key@48 scratch[152..168)",
      "  4  field    r0 = ctx[24] len=4",
      "  5  field    r1 = ctx[40] len=8",
      "  6  copy     scratch[56..72) = scratch[8..24)",
      "  7  dataloc  scratch[72..136) = ctx loc r0",
      "  8  str      scratch[136..152) = kernel r1",
      "  9  emit     scratch[48..152) printf fmt=0",
      " 10  end",
      "slots: 0->1",
      "map 1 @names keys=int:8 key_size=8 value_size=16 valkind=9 percpu=0",
      "fmt 0 \"%s %s %s\\n\" len=104 str@8:16 str@24:64 str@88:16",
      "uses records",
    }, out)
  end)

  it("max_strlen = 31744: printf of a 31 KiB user string (lab 2.5), scratch grows to 32 KiB", function()
    local out = drive_args(STRSRC, 4, 4, '--probe tracepoint:syscalls:sys_enter_write --max-strlen 31744 --field fd:16:8 --field buf:24:8:str --field count:32:8 bpf=module m=map:0 names=map:1')
    assert.are.equal(plan {
      "plan nops=5 ctx_copy=32 scratch=32768 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[24] len=8",
      "  1  comm     scratch[40..56)",
      "  2  str      scratch[56..31800) = user r0",
      "  3  emit     scratch[32..31800) printf fmt=0",
      "  4  end",
      "slots:",
      "fmt 0 \"%s: %s\\n\" len=31768 str@8:16 str@24:31744",
      "uses records",
    }, out)
  end)

  it("an unknown e.args field is named in missing_field (for wildcards)", function()
    local out = drive_args(STRSRC, 5, 5, '' .. SCHED .. ' bpf=module m=map:0 names=map:1')
    assert.are.equal(plan {
      "DIR/h.lua:5:32: tracepoint:sched:sched_process_exec has no field 'nope'",
      "local k = function(e) m[e.args.nope] = bpf.count() end",
      "                               ^",
      "hint: available fields: comm, name, kp, addr",
      "missing field: nope",
    }, out)
  end)

  it("max_strlen out of range", function()
    local out = drive_args(STRSRC, 4, 4, '--max-strlen 40000 --field buf:24:8:str bpf=module m=map:0 names=map:1')
    assert.are.equal(plan {
      "DIR/h.lua:4:11: max_strlen is 40000: it must be from 1 to 32768",
      "local h = function(e) bpf.printf(\"%s: %s\\n\", e.comm, e.args.buf) end",
      "          ^",
    }, out)
  end)

  it("printf formats: types, offsets from the record start, sizes, length", function()
    local out = drive([[
local bpf, m = ...
local f = function(e) bpf.printf("%s %d %s %s %s %s %s %s\n", e.comm, e.pid, "fd", e.probe, bpf.ksym(e.args.fd), bpf.usym(e.args.count), e.kstack, bpf.ustack(4)) end
]], 2, 2, "bpf=module m=map:0")
    assert.are.equal(plan {
      'plan nops=20 ctx_copy=40 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  ctx      r1 = probe',
      '  2  field    r2 = ctx[16] len=8',
      '  3  field    r3 = ctx[32] len=8',
      '  4  stack    r4 = kstack len=127',
      '  5  stack    r5 = ustack len=4',
      '  6  comm     scratch[48..64)',
      '  7  put      scratch[64] = r0',
      '  8  strcpy   scratch[72..80) = pool[0] "fd"',
      '  9  put      scratch[80] = r1',
      ' 10  put      scratch[88] = r2',
      ' 11  put      scratch[96] = r3',
      ' 12  ctx      r6 = pid',
      ' 13  put      scratch[104] = r6',
      ' 14  put      scratch[112] = r4',
      ' 15  put      scratch[120] = r5',
      ' 16  ctx      r6 = pid',
      ' 17  put      scratch[128] = r6',
      ' 18  emit     scratch[40..136) printf fmt=0',
      ' 19  end',
      'slots:',
      'fmt 0 "%s %d %s %s %s %s %s %s\\n" len=96 str@8:16 int@24:8 str@32:8 probe@40:8 ' ..
        'ksym@48:8 usym@56:16 kstack@72:8 ustack@80:16',
      'uses stacks records',
    }, out)
  end)

  it("print: %d / %s formats, shared when identical; print(m) and exit need no format", function()
    local out = drive([[
local bpf, m = ...
local f = function(e) bpf.print(e.pid); bpf.print(e.comm); bpf.print(e.tid); bpf.print(m); bpf.exit() end
]], 2, 2, "bpf=module m=map:3")
    assert.are.equal(plan {
      'plan nops=12 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  ctx      r0 = pid',
      '  1  put      scratch[8] = r0',
      '  2  emit     scratch[0..16) printf fmt=0',
      '  3  comm     scratch[8..24)',
      '  4  emit     scratch[0..24) printf fmt=1',
      '  5  ctx      r0 = tid',
      '  6  put      scratch[8] = r0',
      '  7  emit     scratch[0..16) printf fmt=0',
      '  8  emit     scratch[0..8) print map=3',
      '  9  emit     scratch[0..8) exit',
      ' 10  end',
      ' 11  end',
      'slots:',
      'fmt 0 "%d\\n" len=16 int@8:8',
      'fmt 1 "%s\\n" len=24 str@8:16',
      'uses records',
    }, out)
  end)

  it("map layouts: plain values, aggregates, hist, lhist, stack keys", function()
    local out = drive([[
local bpf, a, b, c, d, e2, f, g, h = ...
local fn = function(e) a[e.pid] = e.nsecs; b[e.comm] = bpf.min(e.pid); c[e.comm] = bpf.max(e.pid); d[e.comm] = bpf.avg(e.pid); e2[e.comm] = bpf.stats(e.pid); f[e.kstack] = bpf.hist(e.pid); g[e.ustack] = bpf.lhist(e.pid, 10, 100, 20); h[1] = bpf.count() end
]], 2, 2, "bpf=module a=map:0 b=map:1 c=map:2 d=map:3 e2=map:4 f=map:5 g=map:6 h=map:7")
    local maps = {}
    for line in out:gmatch("map %d[^\n]*") do maps[#maps + 1] = line end
    assert.are.same({
      'map 0 @a keys=int:8 key_size=8 value_size=8 valkind=2 percpu=0',
      'map 1 @b keys=str:16 key_size=16 value_size=16 valkind=3 percpu=1',
      'map 2 @c keys=str:16 key_size=16 value_size=16 valkind=4 percpu=1',
      'map 3 @d keys=str:16 key_size=16 value_size=16 valkind=5 percpu=1',
      'map 4 @e2 keys=str:16 key_size=16 value_size=16 valkind=6 percpu=1',
      'map 5 @f keys=kstack:8 key_size=8 value_size=536 valkind=7 percpu=1',
      'map 6 @g keys=ustack:16 key_size=16 value_size=56 valkind=8 percpu=1 lhist=10,100,20',
      'map 7 @h keys=int:8 key_size=8 value_size=8 valkind=1 percpu=1',
    }, maps)
    assert.matches("uses stacks\n", out, 1, true)
  end)
end)

-- Typed kernel args (kfunc, kretfunc, tp_btf), e.arg0..argN and e.retval
-- (kprobe, uprobe, usdt), through the driver and its fake kernel types
-- (spec/compiler/driver.c: struct dentry, qstr, task_struct, mm_struct),
-- until the Lua binding passes probe kinds, registers and BTF.
-- Conventions: a pointer is a number that can be followed; each member
-- read is a KREAD (ints and pointers) at the pointer + the member's
-- offset; embedded structs add their offset without a read; char[N]
-- members are the string at their address (STR, kernel, N bytes); char *
-- members are read with KREAD and are strings where one is needed.
describe("compiler: typed args, e.argN, e.retval (driver)", function()
  local H = require "spec.helper"
  local dir, driver

  setup(function()
    dir = H.tmpdir()
    driver = H.build_driver(dir)
  end)
  teardown(function() if dir then os.execute("rm -rf " .. dir) end end)

  -- handler `body` (one line, `e` its parameter) with a module `bpf` and
  -- maps m (0) and n (1), compiled with the driver's arguments `args`
  local function drive(body, args)
    local f = assert(io.open(dir .. "/h.lua", "w"))
    f:write("local bpf, m, n = ...\nlocal f = function(e) " .. body .. " end\n")
    f:close()
    local p = io.popen(("%s %s/h.lua 2 2 %s bpf=module m=map:0 n=map:1 2>&1"):format(driver, dir, args))
    local out = p:read("a")
    p:close()
    return (out:gsub(dir:gsub("%p", "%%%0"), "DIR"))
  end

  local KFUNC = "--kind typed --probe kfunc:vmlinux:vfs_unlink --field dir:0:8:btf=void* " ..
    "--field dentry:8:8:btf=dentry* --field task:16:8:btf=task* --field mode:24:8:btf=u32 " ..
    "--field dfd:32:8:btf=int --field name:40:8:btf=char*"
  local KRETFUNC = "--kind typed --probe kretfunc:vmlinux:do_sys_openat2 --field dfd:0:8:btf=int " ..
    "--field name:8:8:btf=char* --reg retval:24:8:btf=long"
  -- x86-64 pt_regs offsets: di 112, si 104, dx 96, cx 88, r8 72, r9 64, ax 80
  local REGS = "--kind regs --reg arg0:112:8 --reg arg1:104:8 --reg arg2:96:8 --reg arg3:88:8 " ..
    "--reg arg4:72:8 --reg arg5:64:8"
  local RET = "--kind regs --reg retval:80:8:s"
  local USDT = "--kind usdt --probe usdt:/usr/bin/usdt_passwd:usdt_samp1:passwdfound " ..
    "--reg arg0:0:8:usdt --reg arg1:1:8:usdt"

  it("lab 3.1a: str(args.dentry->d_name.name): the pointer, then the char * member at 32 + 8", function()
    assert.are.equal(plan {
      "plan nops=6 ctx_copy=16 scratch=1024 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[8] len=8",
      "  1  kread    r0 = kernel[r0 + 40] len=8",
      "  2  comm     scratch[24..40)",
      "  3  str      scratch[40..104) = kernel r0",
      "  4  emit     scratch[16..104) printf fmt=0",
      "  5  end",
      "slots:",
      'fmt 0 "%s %s\\n" len=88 str@8:16 str@24:64',
      "uses records",
    }, drive('bpf.printf("%s %s\\n", e.comm, bpf.str(e.args.dentry.d_name.name))', KFUNC))
  end)

  it("lab 3.1b: d_parent followed, a char * member is a string without bpf.str", function()
    assert.are.equal(plan {
      "plan nops=6 ctx_copy=16 scratch=1024 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[8] len=8",
      "  1  kread    r0 = kernel[r0 + 24] len=8",
      "  2  kread    r0 = kernel[r0 + 40] len=8",
      "  3  str      scratch[24..88) = kernel r0",
      "  4  emit     scratch[16..88) printf fmt=0",
      "  5  end",
      "slots:",
      'fmt 0 "%s\\n" len=72 str@8:64',
      "uses records",
    }, drive('bpf.printf("%s\\n", e.args.dentry.d_parent.d_name.name)', KFUNC))
  end)

  it("char[N] members: the string at the address + offset, N bytes, as keys", function()
    assert.are.equal(plan {
      "plan nops=13 ctx_copy=24 scratch=1024 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[16] len=8",
      "  1  imm      r1 = 3016",
      "  2  add      r0 = r0 + r1",
      "  3  imm      r1 = 1",
      "  4  str      scratch[24..40) = kernel r0 padded",
      "  5  map_add  slot=0 key@24 r1",
      "  6  field    r0 = ctx[8] len=8",
      "  7  imm      r1 = 56",
      "  8  add      r0 = r0 + r1",
      "  9  imm      r1 = 1",
      " 10  str      scratch[24..56) = kernel r0 padded",
      " 11  map_add  slot=1 key@24 r1",
      " 12  end",
      "slots: 0->0 1->1",
      "map 0 @m keys=str:16 key_size=16 value_size=8 valkind=1 percpu=1",
      "map 1 @n keys=str:32 key_size=32 value_size=8 valkind=1 percpu=1",
    }, drive("m[e.args.task.comm] = bpf.count(); n[e.args.dentry.d_iname] = bpf.count()", KFUNC))
  end)

  it("int members: size and sign from the type; pointer chains through mm->owner", function()
    assert.are.equal(plan {
      "plan nops=9 ctx_copy=24 scratch=1024 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[16] len=8",
      "  1  kread    r0 = kernel[r0 + 2400] len=8",
      "  2  kread    r0 = kernel[r0 + 936] len=8",
      "  3  kread    r0 = kernel[r0 + 2456] len=4 signed",
      "  4  field    r1 = ctx[8] len=8",
      "  5  kread    r1 = kernel[r1 + 36] len=4",
      "  6  put      scratch[24] = r0",
      "  7  map_add  slot=0 key@24 r1",
      "  8  end",
      "slots: 0->0",
      "map 0 @m keys=int:8 key_size=8 value_size=8 valkind=1 percpu=1",
    }, drive("m[e.args.task.mm.owner.pid] = bpf.sum(e.args.dentry.d_name.len)", KFUNC))
  end)

  it("typed int args read with their own size and sign; a pointer is a number in arithmetic and compares", function()
    assert.are.equal(plan {
      "plan nops=14 ctx_copy=40 scratch=1024 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[8] len=8",
      "  1  kread    r0 = kernel[r0 + 24] len=8",
      "  2  field    r1 = ctx[8] len=8",
      "  3  ne       r0 = r0 ~= r1",
      "  4  jz       r0 -> 13",
      "  5  field    r0 = ctx[8] len=8",
      "  6  imm      r1 = 8",
      "  7  add      r0 = r0 + r1",
      "  8  field    r1 = ctx[32] len=4 signed",
      "  9  field    r2 = ctx[24] len=4",
      " 10  put      scratch[40] = r0",
      " 11  put      scratch[48] = r1",
      " 12  map_add  slot=0 key@40 r2",
      " 13  end",
      "slots: 0->0",
      "map 0 @m keys=int:8,int:8 key_size=16 value_size=8 valkind=1 percpu=1",
    }, drive("if e.args.dentry.d_parent ~= e.args.dentry then m[{e.args.dentry + 8, e.args.dfd}] = bpf.sum(e.args.mode) end", KFUNC))
  end)

  it("locals hold a typed pointer and an embedded struct (its address)", function()
    assert.are.equal(plan {
      "plan nops=9 ctx_copy=16 scratch=1024 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[8] len=8",
      "  1  kread    r1 = kernel[r0 + 24] len=8",
      "  2  kread    r2 = kernel[r1 + 40] len=8",
      "  3  kread    r3 = kernel[r1 + 36] len=4",
      "  4  put      scratch[24] = r0",
      "  5  str      scratch[32..96) = kernel r2",
      "  6  put      scratch[96] = r3",
      "  7  emit     scratch[16..104) printf fmt=0",
      "  8  end",
      "slots:",
      'fmt 0 "%d %s %d\\n" len=88 int@8:8 str@16:64 int@80:8',
      "uses records",
    }, drive('local d = e.args.dentry; local q = d.d_parent.d_name; bpf.printf("%d %s %d\\n", d, q.name, q.len)', KFUNC))
  end)

  it("arrays of numbers in structs, indexed with a constant", function()
    assert.are.equal(plan {
      "plan nops=6 ctx_copy=24 scratch=1024 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[16] len=8",
      "  1  kread    r0 = kernel[r0 + 3048] len=8 signed",
      "  2  imm      r1 = 1",
      "  3  put      scratch[24] = r0",
      "  4  map_add  slot=0 key@24 r1",
      "  5  end",
      "slots: 0->0",
      "map 0 @m keys=int:8 key_size=8 value_size=8 valkind=1 percpu=1",
    }, drive("m[e.args.task.sample[2]] = bpf.count()", KFUNC))
  end)

  it("a typed char * arg is a kernel string where a string is needed", function()
    assert.are.equal(plan {
      "plan nops=9 ctx_copy=48 scratch=1024 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[40] len=8",
      "  1  str      scratch[112..176) = kernel r0 padded",
      '  2  streq    r0 = scratch[112..120) == pool[0] "/tmp/x"',
      "  3  jz       r0 -> 8",
      "  4  field    r0 = ctx[40] len=8",
      "  5  imm      r1 = 1",
      "  6  str      scratch[48..112) = kernel r0 padded",
      "  7  map_add  slot=0 key@48 r1",
      "  8  end",
      "slots: 0->0",
      "map 0 @m keys=str:64 key_size=64 value_size=8 valkind=1 percpu=1",
    }, drive('if e.args.name == "/tmp/x" then m[e.args.name] = bpf.count() end', KFUNC))
  end)

  it("kretfunc: e.retval typed (long: 8 bytes, signed)", function()
    assert.are.equal(plan {
      "plan nops=10 ctx_copy=32 scratch=1024 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[24] len=8 signed",
      "  1  imm      r1 = 0",
      "  2  lt       r0 = r0 < r1",
      "  3  jz       r0 -> 9",
      "  4  field    r0 = ctx[24] len=8 signed",
      "  5  imm      r1 = 1",
      "  6  comm     scratch[32..48)",
      "  7  put      scratch[48] = r0",
      "  8  map_add  slot=0 key@32 r1",
      "  9  end",
      "slots: 0->0",
      "map 0 @m keys=str:16,int:8 key_size=24 value_size=8 valkind=1 percpu=1",
    }, drive("if e.retval < 0 then m[{e.comm, e.retval}] = bpf.count() end", KRETFUNC))
  end)

  it("kprobe: e.argN from the pt_regs copy; bpf.str reads kernel memory", function()
    assert.are.equal(plan {
      "plan nops=5 ctx_copy=120 scratch=1024 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[112] len=8",
      "  1  field    r1 = ctx[96] len=8",
      "  2  str      scratch[120..184) = kernel r0 padded",
      "  3  map_add  slot=0 key@120 r1",
      "  4  end",
      "slots: 0->0",
      "map 0 @m keys=str:64 key_size=64 value_size=8 valkind=1 percpu=1",
    }, drive("m[bpf.str(e.arg0)] = bpf.sum(e.arg2)", "--probe kprobe:do_sys_open " .. REGS))
  end)

  it("lab 4.3 uprobe: bpf.str(e.arg0) reads user memory", function()
    assert.are.equal(plan {
      "plan nops=6 ctx_copy=120 scratch=1024 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[112] len=8",
      "  1  field    r1 = ctx[104] len=8",
      "  2  str      scratch[128..192) = user r0",
      "  3  str      scratch[192..224) = user r1",
      "  4  emit     scratch[120..224) printf fmt=0",
      "  5  end",
      "slots:",
      'fmt 0 "%s %s\\n" len=104 str@8:64 str@72:32',
      "uses records",
    }, drive('bpf.printf("%s %s\\n", bpf.str(e.arg0), bpf.str(e.arg1, 32))',
      "--probe uprobe:/usr/bin/uprobeme:add_contact " .. REGS))
  end)

  it("uretprobe: e.retval from the pt_regs copy (ax), signed", function()
    assert.are.equal(plan {
      "plan nops=8 ctx_copy=88 scratch=1024 sysmode=0 probe_id=0",
      "  0  field    r0 = ctx[80] len=8 signed",
      '  1  strcpy   scratch[88..104) = pool[0] "ret"',
      "  2  map_add  slot=0 key@88 r0",
      "  3  ctx      r0 = pid",
      "  4  field    r1 = ctx[80] len=8 signed",
      "  5  put      scratch[88] = r0",
      "  6  map_set  slot=1 key@88 r1",
      "  7  end",
      "slots: 0->0 1->1",
      "map 0 @m keys=str:16 key_size=16 value_size=8 valkind=1 percpu=1",
      "map 1 @n keys=int:8 key_size=8 value_size=8 valkind=2 percpu=0",
    }, drive('m["ret"] = bpf.sum(e.retval); n[e.pid] = e.retval',
      "--probe uretprobe:/usr/bin/uprobeme:add_contact " .. RET))
  end)

  it("lab 5.2 usdt: e.argN with USDT_ARG (no ctx copy), strings from user memory", function()
    assert.are.equal(plan {
      "plan nops=6 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0",
      "  0  usdt_arg r0 = usdt arg 0 len=8",
      "  1  usdt_arg r1 = usdt arg 1 len=8",
      "  2  str      scratch[8..72) = user r0",
      "  3  str      scratch[72..136) = user r1",
      "  4  emit     scratch[0..136) printf fmt=0",
      "  5  end",
      "slots:",
      'fmt 0 "%s %s\\n" len=136 str@8:64 str@72:64',
      "uses records",
    }, drive('bpf.printf("%s %s\\n", bpf.str(e.arg0), bpf.str(e.arg1))', USDT))
  end)
end)

-- A compile lexes only its handler's lines, from a line that starts
-- outside any string or comment (lbc_scan, once per chunk): the plan is
-- the same wherever the chunk puts the handler, and what other handlers
-- of the chunk do (str(m[k]) keeps m's char * fields as addresses) is
-- still seen.
describe("compiler: only the handler's lines are lexed", function()
  local function compile(src, pick)
    local s, H = bpf.session(), {}
    assert(bpf.load("local bpf, s, H = ... local m, p = s:map(), s:map()\n" .. src, "=lines"))(bpf, s, H)
    return s:compile("tracepoint:syscalls:sys_enter_openat", H[pick or 1], OPEN)
  end
  local COUNT = "H[1] = function(e) m[e.pid] = bpf.count() end"

  it("after a long comment, a long string, an escaped line break or \\z ending on its line", function()
    local want = compile(COUNT)
    for _, before in ipairs {
      "--[[ a\n function(e) m[e.tid] = bpf.count() end ]] ",
      "local z = [[\n function(e) m[e.tid] = bpf.count() end ]] ",
      "local z = 'a\\\n function(e) m[e.tid] = bpf.count() end' ",
      "local z = 'a\\z\n\n  b' ",
    } do
      assert.are.equal(want, compile(before .. COUNT))
    end
  end)

  it("with its '(' lines after 'function' (Lua's line of the handler)", function()
    assert.are.equal(compile(COUNT),
      compile("H[1] = function -- c\n--[[ x\n]]\n(e)\n m[e.pid] = bpf.count()\n end"))
  end)

  it("the second of two handlers on one line", function()
    assert.are.equal(compile("H[1] = function(e) m[e.tid] = bpf.count() end"),
      compile(COUNT .. " H[2] = function(e) m[e.tid] = bpf.count() end", 2))
  end)

  it("str(p[k]) in another handler, before or after it, keeps p's char * fields as addresses", function()
    local keep = "H[1] = function(e) p[e.tid] = e.args.filename end\n"
    local reader = "H[2] = function(e) m[bpf.str(p[e.tid])] = bpf.count() end\n"
    local plain = compile(keep)
    assert.matches("map_setstr", plain)
    for _, src in ipairs { keep .. reader, reader .. keep, keep .. ("\n"):rep(100) .. reader } do
      local p = compile(src)
      assert.matches("map_set ", p)
      assert.is_nil(p:find("map_setstr", 1, true))
    end
  end)
end)
