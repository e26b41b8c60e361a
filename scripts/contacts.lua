-- Lab 4.3: dump the strings uprobeme passes to add_contact(first, last,
-- number), and add up their lengths.
-- usage: luabpf scripts/contacts.lua [PATH]   (build/bin/uprobeme)
-- bpftrace: uprobe:/path/uprobeme:add_contact { printf("contact %s %s %d\n", str(arg0), str(arg1), arg2); }
--           uretprobe:/path/uprobeme:add_contact { @lengths["total"] = sum(retval); @contacts["made"] = count(); }
-- Arguments are registers: arg0 and arg1 are user pointers, read as
-- strings with bpf.str; arg2 the int.  add_contact returns
-- strlen(first) + strlen(last), so the uretprobe's retval sums the
-- lengths (bpftrace 0.17 has no strlen()).  The names go up to 100
-- characters: max_strlen is raised from 64 so none is cut.
local bpf = require "luabpf"

bpf.config { max_strlen = 128 }

local path = arg[1] or "build/bin/uprobeme"
local lengths, contacts = bpf.map(), bpf.map()

bpf.uprobe(path .. ":add_contact", function(e)
  bpf.printf("contact %s %s %d\n", bpf.str(e.arg0), bpf.str(e.arg1), e.arg2)
end)

bpf.uretprobe(path .. ":add_contact", function(e)
  lengths.total = bpf.sum(e.retval)
  contacts.made = bpf.count()
end)
