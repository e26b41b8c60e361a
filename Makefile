# luabpf: build, test, install. `make demo` and `make test` work on a
# fresh Debian 12 machine: both install what they need first.

PREFIX ?= /usr/local
LUADIR ?= $(PREFIX)/share/lua/5.4
LIBDIR ?= $(PREFIX)/lib/lua/5.4
BINDIR ?= $(PREFIX)/bin
LUA ?= lua5.4
CC ?= cc
CLANG ?= clang
B := build

DEBS := clang llvm libbpf-dev libelf-dev zlib1g-dev liblua5.4-dev lua5.4 \
	lua-busted luarocks bpftool systemtap-sdt-dev linux-libc-dev pkg-config \
	libc6-dev make bpftrace perl
# luarocks passes LUA_INCDIR and its own CFLAGS on the command line.
ifdef LUA_INCDIR
LUA_CFLAGS := -I$(LUA_INCDIR)
else
LUA_CFLAGS := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
endif
ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)

CFLAGS ?= -O2 -g
LB_CFLAGS = $(CFLAGS) -Wall -Wextra -fPIC -std=gnu11 $(LUA_CFLAGS) -I$(B)/gen -Ibpf -Iluabpf
# Block placement off: it lays the interpreter's loop out so a block
# falls through into the loop head, a back-edge Linux < 6.3 refuses even
# to root ("back-edge from insn 43 to 44"); spec/template_cfg_spec.lua
# checks every template against that rule.
BPF_CFLAGS := -O2 -g -target bpf -Wall -I$(ARCH_INC) -Ibpf -mllvm -disable-block-placement
LDLIBS := -lbpf -lelf -lz

TEMPLATES := $(wildcard bpf/*.bpf.c)
TEMPLATE_OBJS := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.bpf.o,$(TEMPLATES))
MODULE_SRC := $(wildcard luabpf/*.c) $(wildcard luabpf/runtime/*.c) $(wildcard luabpf/compiler/*.c)
MODULE_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(MODULE_SRC)) $(B)/obj/templates.o
LUA_SRC := $(wildcard luabpf/*.lua)
WORKLOADS := $(patsubst spec/workloads/%.c,$(B)/bin/%,$(wildcard spec/workloads/*.c))
# usdt_args at -O0 and -O1 as well: gcc writes the USDT arguments in
# other operand forms there (spec/usdt_spec.lua checks which)
WORKLOADS += $(B)/bin/usdt_args-O0 $(B)/bin/usdt_args-O1

# In-tree build is laid out like an install prefix, so tests run exactly
# what `make install` ships.
LMOD := $(B)/share/lua/5.4
CMOD := $(B)/lib/lua/5.4
BUSTED := $(LUA) /usr/bin/busted --lpath='$(LMOD)/?.lua;$(LMOD)/?/init.lua' \
	--cpath='$(CMOD)/?.so'

.PHONY: all module deps test demo bench install clean format workloads
all: module $(WORKLOADS)
module: $(CMOD)/luabpf/core.so $(patsubst luabpf/%,$(LMOD)/luabpf/%,$(LUA_SRC)) \
	$(LMOD)/luabpf/constants.lua $(B)/bin/luabpf

deps:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q $(APT_FLAGS) $$missing >/dev/null || \
	  { apt-get update -q >/dev/null && apt-get install -y -q $(APT_FLAGS) $$missing >/dev/null; }; \
	fi

$(B)/bpf/%.bpf.o: bpf/%.bpf.c bpf/interp.h bpf/plan.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Templates are embedded in the module: no clang at run time.
$(B)/gen/templates.S: $(TEMPLATE_OBJS) Makefile
	@mkdir -p $(@D)
	@{ echo '.section .rodata'; \
	  for o in $(TEMPLATE_OBJS); do n=$$(basename $$o .bpf.o); \
	    echo ".global lb_tpl_$$n"; echo ".global lb_tpl_$${n}_end"; \
	    echo '.balign 8'; echo "lb_tpl_$$n: .incbin \"$$o\""; echo "lb_tpl_$${n}_end:"; \
	  done; echo '.section .note.GNU-stack,"",@progbits'; } > $@

$(B)/obj/templates.o: $(B)/gen/templates.S $(TEMPLATE_OBJS)
	@mkdir -p $(@D)
	$(CC) -c $< -o $@

# Syscall numbers from the system headers, for the raw_syscalls fast path.
$(B)/gen/syscalls.h: Makefile
	@mkdir -p $(@D)
	@echo '#include <asm/unistd.h>' | $(CC) -E -dM - | \
	  sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$$/\tLB_SYSCALL(\2, "\1")/p' | \
	  sort -n -t'(' -k2 > $@

$(B)/obj/%.o: %.c $(wildcard luabpf/*.h luabpf/*/*.h bpf/*.h) $(B)/gen/syscalls.h
	@mkdir -p $(@D)
	$(CC) $(LB_CFLAGS) -c $< -o $@

$(CMOD)/luabpf/core.so: $(MODULE_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -o $@ $^ $(LDFLAGS) $(LDLIBS)

# Constants (O_*, PROT_*, MAP_*, E*, SIG*) from this system's headers.
$(LMOD)/luabpf/constants.lua: luabpf/gen-constants.sh
	@mkdir -p $(@D)
	sh $< $(CC) $@

$(LMOD)/luabpf/%.lua: luabpf/%.lua
	@mkdir -p $(@D)
	cp $< $@

$(B)/bin/luabpf: luabpf/bin.lua
	@mkdir -p $(@D)
	cp $< $@ && chmod +x $@

$(B)/bin/%: spec/workloads/%.c spec/workloads/workload.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -fno-omit-frame-pointer -Wall -Wextra -pthread $< -o $@

$(B)/bin/usdt_args-O%: spec/workloads/usdt_args.c spec/workloads/workload.h
	@mkdir -p $(@D)
	$(CC) -O$* -g -fno-omit-frame-pointer -Wall -Wextra $< -o $@

workloads: $(WORKLOADS)

# Kernel-probe specs (#kprobe) are skipped, with their count printed,
# where this kernel refuses kprobes or fentry: `make vmtest` runs them.
test: deps
	$(MAKE) all
	spec/vmtest/specs $(BUSTED) spec
	$(MAKE) fuzz-smoke

# The kernel-probe specs on Debian's newest 6.1 and 6.12 kernels under
# qemu (spec/vmtest/run; VMTEST_SMP, VMTEST_TIMEOUT... there).
VMTEST_DEBS := qemu-system-x86 busybox-static cpio xz-utils
.PHONY: vmtest
vmtest: deps
	@$(MAKE) -s deps DEBS='$(VMTEST_DEBS)' APT_FLAGS=--no-install-recommends
	$(MAKE) all
	spec/vmtest/run

# Fuzzing the handler compiler (spec/fuzz/fuzz_compile.c, header format
# there): libFuzzer + ASan + UBSan on a fresh copy of spec/fuzz/corpus;
# fails on any crash or broken invariant (inputs in build/fuzz/crashes/).
.PHONY: fuzz fuzz-smoke
FUZZ_SECONDS ?= 300
FUZZ_SRC := $(wildcard luabpf/compiler/*.c) luabpf/runtime/format.c spec/fuzz/fuzz_compile.c

$(B)/fuzz/fuzz_compile: $(FUZZ_SRC) $(wildcard luabpf/*/*.h bpf/*.h) $(B)/gen/syscalls.h
	@$(MAKE) -s deps DEBS=libclang-rt-14-dev
	@mkdir -p $(@D)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-Iluabpf -Ibpf -I$(B)/gen $(FUZZ_SRC) -o $@

fuzz: $(B)/fuzz/fuzz_compile
	rm -rf $(B)/fuzz/corpus && mkdir -p $(B)/fuzz/corpus $(B)/fuzz/crashes
	cp spec/fuzz/corpus/* $(B)/fuzz/corpus/
	$< -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix=$(B)/fuzz/crashes/ $(B)/fuzz/corpus

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=20

demo: deps
	$(MAKE) all
	@echo "Counting syscalls per process for 5 seconds (scripts/syscount.lua)..."
	timeout -s INT 5 $(B)/bin/luabpf scripts/syscount.lua; true

bench: deps
	$(MAKE) all
	LUABPF=$(abspath $(B)/bin/luabpf) spec/bench/run

# Soak: lab scripts against busy workloads for SOAK_SECONDS (spec/soak/run):
# tracers' RSS over time, lost events, map sizes; fails on RSS growth over
# 1 MiB per 10 min after the warm-up, or anything left attached.
SOAK_SECONDS ?= 600
.PHONY: soak
soak: deps
	$(MAKE) all
	SOAK_SECONDS=$(SOAK_SECONDS) LUABPF=$(abspath $(B)/bin/luabpf) spec/soak/run

install: module
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LUADIR)/luabpf $(DESTDIR)$(LIBDIR)/luabpf
	install -m 755 luabpf/bin.lua $(DESTDIR)$(BINDIR)/luabpf
	install -m 644 $(LUA_SRC) $(LMOD)/luabpf/constants.lua $(DESTDIR)$(LUADIR)/luabpf/
	install -m 755 $(CMOD)/luabpf/core.so $(DESTDIR)$(LIBDIR)/luabpf/

format:
	clang-format -i luabpf/*.c luabpf/*.h luabpf/*/*.c luabpf/*/*.h bpf/*.h bpf/*.c spec/*/*.c spec/*/*.h

clean:
	rm -rf $(B)
