-- Lab 5.2: the USDT probe of usdt_passwd: print the user name and home
-- directory it passes when it finds the user.
-- usage: luabpf scripts/usdt_passwd.lua [PATH]   (build/bin/usdt_passwd)
-- bpftrace: usdt:/path/usdt_passwd:usdt_samp1:passwdfound { printf("%s %s\n", str(arg0), str(arg1)); }
-- List the probes first (5.1): luabpf -l 'usdt:PATH:*' (bpftrace -l) shows
-- usdt:PATH:usdt_samp1:passwdfound; its two arguments are the char *s
-- pw_name and pw_dir, in whatever registers or memory the compiler
-- chose (the probe's note says where: `readelf -n PATH`).
local bpf = require "luabpf"

local path = arg[1] or "build/bin/usdt_passwd"

bpf.usdt(path .. ":usdt_samp1:passwdfound", function(e)
  bpf.printf("%s %s\n", bpf.str(e.arg0), bpf.str(e.arg1))
end)
