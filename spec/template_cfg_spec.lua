-- The BPF templates' control flow against the rule of Linux 6.1's
-- verifier (check_cfg before 6.3): a back-edge is allowed only on a jump;
-- one reached by falling through (a plain instruction or a helper call
-- into an instruction still on the depth-first path) is refused even to
-- root, "back-edge from insn 43 to 44", and no program loads. This
-- machine's kernel accepts both, so the rule is checked here on the
-- objects (llvm-objdump) with the kernel's own depth-first walk; make
-- vmtest loads them on 6.1 for real.
local H = require "spec.helper"

-- { [program] = { [insn index] = text } } of one object
local function programs(obj)
  local progs, cur = {}, nil
  local p = io.popen("llvm-objdump -d --no-show-raw-insn " .. H.quote(obj))
  for line in p:lines() do
    local sym = line:match("^%x+ <([%w_]+)>:")
    if sym and not sym:match("^LBB") then
      cur = {}
      progs[sym] = cur
    else
      local i, text = line:match("^%s+(%d+):\t(.*)$")
      if i and cur then cur[tonumber(i)] = text end
    end
  end
  p:close()
  return progs
end

-- nil, or the first fall-through back-edge, as check_cfg walks
local function fallthrough_back_edge(insns)
  local idx = {}
  for i in pairs(insns) do idx[#idx + 1] = i end
  table.sort(idx)
  local nxt = {}
  for k, i in ipairs(idx) do nxt[i] = idx[k + 1] end
  local function succ(t) -- { {target, loop allowed}, ... } in the kernel's order
    local s = insns[t]
    if s:match("^exit") then return {} end
    local off = tonumber(s:match("goto ([+-]%d+)"))
    if s:match("^goto") then return { { t + off + 1, true } } end
    if s:match("^if") then return { { nxt[t], true }, { t + off + 1, true } } end
    return { { nxt[t], false } }
  end
  local state, edge, stack = { [idx[1]] = 1 }, {}, { idx[1] }
  while #stack > 0 do
    local t = stack[#stack]
    local ss, pushed = succ(t), false
    edge[t] = edge[t] or 0
    while edge[t] < #ss do
      edge[t] = edge[t] + 1
      local w, loop_ok = ss[edge[t]][1], ss[edge[t]][2]
      if not state[w] then
        state[w] = 1
        stack[#stack + 1] = w
        pushed = true
        break
      elseif state[w] == 1 and not loop_ok then
        return string.format("back-edge from insn %d to %d", t, w)
      end
    end
    if not pushed then
      state[t] = 2
      stack[#stack] = nil
    end
  end
end

describe("BPF templates", function()
  local objs = {}
  local p = io.popen("ls " .. H.root .. "/build/bpf/*.bpf.o")
  for o in p:lines() do objs[#objs + 1] = o end
  p:close()

  it("are built (make all)", function() assert.is_true(#objs >= 6, #objs .. " objects") end)

  for _, obj in ipairs(objs) do
    it(obj:match("[^/]+$") .. ": no fall-through back-edge (Linux < 6.3 refuses them)", function()
      local n = 0
      for name, insns in pairs(programs(obj)) do
        assert.is_nil(fallthrough_back_edge(insns), name)
        n = n + 1
      end
      assert.is_true(n > 0)
    end)
  end
end)
