# luabpf: build, test, install. `make demo` and `make test` work on a
# fresh Debian 12 machine: both install what they need first.

# Which Lua the module is built for: LUA=5.4 (default), 5.3, 5.1 or
# luajit (LuaJIT 2.1 uses 5.1's module directories). Each has its own
# in-tree build: build/ for 5.4, build-5.3/, build-5.1/, build-luajit/.
# luarocks passes only LUA_INCDIR: the version is read from its lua.h
# (a LUA variable from the environment is often an interpreter path).
ifneq ($(origin LUA),command line)
ifdef LUA_INCDIR
LUA := $(if $(wildcard $(LUA_INCDIR)/luajit.h),luajit,$(shell sed -n \
	's/^\#define LUA_VERSION_NUM[ \t]*50\([0-9]\).*/5.\1/p' $(LUA_INCDIR)/lua.h))
else
LUA := 5.4
endif
endif
override LUA := $(patsubst lua5.%,5.%,$(LUA))
ifeq ($(LUA),luajit)
LUA_BIN := luajit
LUA_ABI := 5.1
LUA_PC := luajit
else ifneq ($(filter 5.4 5.3 5.1,$(LUA)),)
LUA_BIN := lua$(LUA)
LUA_ABI := $(LUA)
LUA_PC := lua$(LUA)
else
$(error LUA must be 5.4, 5.3, 5.1 or luajit (not '$(LUA)'))
endif
PREFIX ?= /usr/local
LUADIR ?= $(PREFIX)/share/lua/$(LUA_ABI)
LIBDIR ?= $(PREFIX)/lib/lua/$(LUA_ABI)
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man/man1
DOCDIR ?= $(PREFIX)/share/doc/luabpf
EXAMPLEDIR ?= $(PREFIX)/share/luabpf/examples
VERSION := $(shell cat VERSION)
CC ?= cc
CLANG ?= clang
# Lua-independent objects (compiler, runtime, templates) and the
# workloads are built once, in build/; only the binding is per Lua.
B5 := build
B := $(if $(filter 5.4,$(LUA)),build,build-$(LUA))

# The other Luas: `make test` runs the embedding checks under each.
OTHER_LUAS := 5.3 5.1 luajit
DEBS := clang llvm valgrind libbpf-dev libelf-dev zlib1g-dev liblua5.4-dev lua5.4 \
	lua-busted luarocks bpftool systemtap-sdt-dev linux-libc-dev pkg-config \
	libc6-dev make bpftrace perl lua-luv lua-cqueues libdw-dev prometheus curl \
	lua5.3 liblua5.3-dev lua5.1 liblua5.1-0-dev luajit libluajit-5.1-dev lua-bitop \
	man-db groff-base git lua-filesystem util-linux
# util-linux: setpriv (spec/privilege_spec.lua)
# flame graph specs: Chromium draws the SVG, xmllint parses it; libc's
# separate symbols name the frame below main in user stacks
DEBS += chromium libxml2-utils libc6-dbg
# luarocks passes LUA_INCDIR and its own CFLAGS on the command line.
ifdef LUA_INCDIR
LUA_CFLAGS := -I$(LUA_INCDIR)
else
LUA_CFLAGS := $(shell pkg-config --cflags $(LUA_PC) 2>/dev/null || echo -I/usr/include/$(LUA_PC))
endif
ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)

CFLAGS ?= -O2 -g
LB_CFLAGS = $(CFLAGS) -Wall -Wextra -fPIC -std=gnu11 $(LUA_CFLAGS) -I$(B5)/gen -Ibpf -Iluabpf
# Block placement off: it lays the interpreter's loop out so a block
# falls through into the loop head, a back-edge Linux < 6.3 refuses even
# to root ("back-edge from insn 43 to 44"); spec/template_cfg_spec.lua
# checks every template against that rule.
BPF_CFLAGS := -O2 -g -target bpf -Wall -I$(ARCH_INC) -Ibpf -mllvm -disable-block-placement
LDLIBS := -lbpf -ldw -lelf -lz -pthread

TEMPLATES := $(wildcard bpf/*.bpf.c)
TEMPLATE_OBJS := $(patsubst bpf/%.bpf.c,$(B5)/bpf/%.bpf.o,$(TEMPLATES))
CORE_SRC := $(wildcard luabpf/runtime/*.c) $(wildcard luabpf/compiler/*.c)
BIND_SRC := $(wildcard luabpf/*.c)
MODULE_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(BIND_SRC)) \
	$(patsubst %.c,$(B5)/obj/%.o,$(CORE_SRC)) $(B5)/obj/templates.o
LUA_SRC := $(wildcard luabpf/*.lua)
WORKLOADS := $(patsubst spec/workloads/%.c,$(B5)/bin/%,$(wildcard spec/workloads/*.c))
# usdt_args at -O0 and -O1 as well: gcc writes the USDT arguments in
# other operand forms there (spec/usdt_spec.lua checks which)
WORKLOADS += $(B5)/bin/usdt_args-O0 $(B5)/bin/usdt_args-O1

# In-tree build is laid out like an install prefix, so tests run exactly
# what `make install` ships.
LMOD := $(B)/share/lua/$(LUA_ABI)
CMOD := $(B)/lib/lua/$(LUA_ABI)
BUSTED := $(LUA_BIN) /usr/bin/busted --lpath='$(LMOD)/?.lua;$(LMOD)/?/init.lua' \
	--cpath='$(CMOD)/?.so'

.PHONY: all module deps test test-lua test-luas demo bench install dist clean format workloads
all: module $(WORKLOADS)
module: $(CMOD)/luabpf/core.so $(patsubst luabpf/%,$(LMOD)/luabpf/%,$(LUA_SRC)) \
	$(LMOD)/luabpf/constants.lua $(LMOD)/luabpf/version.lua $(B)/bin/luabpf \
	$(B)/share/man/man1/luabpf.1

# What building needs, said plainly before a compiler error would say it
# less clearly; every object waits for this check.
LUA_DEB := $(if $(filter luajit,$(LUA)),libluajit-5.1-dev,$(if $(filter 5.1,$(LUA)),liblua5.1-0-dev,liblua$(LUA)-dev))
$(B)/.build-deps:
	@command -v $(CLANG) >/dev/null || { echo "luabpf needs clang to build its BPF" \
	  "templates: apt-get install clang (or make CLANG=/path/to/clang)" >&2; exit 1; }
	@for need in bpf/libbpf.h:libbpf-dev libelf.h:libelf-dev elfutils/libdwfl.h:libdw-dev zlib.h:zlib1g-dev lua.h:$(LUA_DEB); do \
	  echo "#include <$${need%%:*}>" | $(CC) $(LUA_CFLAGS) $(CFLAGS) -E - >/dev/null 2>&1 || \
	  { echo "luabpf needs $${need%%:*} to build: apt-get install $${need#*:}" >&2; exit 1; }; done
	@mkdir -p $(@D) && touch $@

deps:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q $(APT_FLAGS) $$missing >/dev/null || \
	  { apt-get update -q >/dev/null && apt-get install -y -q $(APT_FLAGS) $$missing >/dev/null; }; \
	fi

$(B5)/bpf/%.bpf.o: bpf/%.bpf.c bpf/interp.h bpf/plan.h bpf/arith.h | $(B)/.build-deps
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# no BTF: the shells' line info would not fit the code put into them
$(B5)/bpf/shell.bpf.o: BPF_CFLAGS := $(filter-out -g,$(BPF_CFLAGS))

# Templates are embedded in the module: no clang at run time.
$(B5)/gen/templates.S: $(TEMPLATE_OBJS) Makefile
	@mkdir -p $(@D)
	@{ echo '.section .rodata'; \
	  for o in $(TEMPLATE_OBJS); do n=$$(basename $$o .bpf.o); \
	    echo ".global lb_tpl_$$n"; echo ".global lb_tpl_$${n}_end"; \
	    echo '.balign 8'; echo "lb_tpl_$$n: .incbin \"$$o\""; echo "lb_tpl_$${n}_end:"; \
	  done; echo '.section .note.GNU-stack,"",@progbits'; } > $@

$(B5)/obj/templates.o: $(B5)/gen/templates.S $(TEMPLATE_OBJS)
	@mkdir -p $(@D)
	$(CC) -c $< -o $@

# Syscall numbers from the system headers, for the raw_syscalls fast path.
$(B5)/gen/syscalls.h: Makefile
	@mkdir -p $(@D)
	@echo '#include <asm/unistd.h>' | $(CC) -E -dM - | \
	  sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$$/\tLB_SYSCALL(\2, "\1")/p' | \
	  sort -n -t'(' -k2 > $@

$(B5)/obj/%.o: %.c $(wildcard luabpf/*.h luabpf/*/*.h bpf/*.h) $(B5)/gen/syscalls.h | $(B)/.build-deps
	@mkdir -p $(@D)
	$(CC) $(LB_CFLAGS) -c $< -o $@

ifneq ($(B),$(B5))
$(B)/obj/%.o: %.c $(wildcard luabpf/*.h luabpf/*/*.h bpf/*.h) $(B5)/gen/syscalls.h | $(B)/.build-deps
	@mkdir -p $(@D)
	$(CC) $(LB_CFLAGS) -c $< -o $@
endif

$(CMOD)/luabpf/core.so: $(MODULE_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -o $@ $^ $(LDFLAGS) $(LDLIBS)

# Constants (O_*, PROT_*, MAP_*, E*, SIG*) from this system's headers.
$(LMOD)/luabpf/constants.lua: luabpf/gen-constants.sh
	@mkdir -p $(@D)
	sh $< $(CC) $@

$(LMOD)/luabpf/version.lua: VERSION
	@mkdir -p $(@D)
	echo 'return "$(VERSION)"' > $@

$(B)/share/man/man1/luabpf.1: doc/luabpf.1.in VERSION
	@mkdir -p $(@D)
	sed 's/@VERSION@/$(VERSION)/' $< > $@

$(LMOD)/luabpf/%.lua: luabpf/%.lua
	@mkdir -p $(@D)
	cp $< $@

# The command runs under the Lua it was built for.
$(B)/bin/luabpf: luabpf/bin.lua Makefile
	@mkdir -p $(@D)
	sed '1s|^#!.*|#!/usr/bin/env $(LUA_BIN)|' $< > $@ && chmod +x $@

$(B5)/bin/%: spec/workloads/%.c spec/workloads/workload.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -fno-omit-frame-pointer -Wall -Wextra -pthread $< -o $@

# nofp: built as distributions build, without frame pointers (DWARF specs)
$(B5)/bin/nofp: spec/workloads/nofp.c spec/workloads/workload.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -fomit-frame-pointer -Wall -Wextra $< -o $@

$(B5)/bin/usdt_args-O%: spec/workloads/usdt_args.c spec/workloads/workload.h
	@mkdir -p $(@D)
	$(CC) -O$* -g -fno-omit-frame-pointer -Wall -Wextra $< -o $@

workloads: $(WORKLOADS)

# Kernel-probe specs (#kprobe) are skipped, with their count printed,
# where this kernel refuses kprobes or fentry: `make vmtest` runs them.
test: deps
	$(MAKE) all
	spec/vmtest/specs $(BUSTED) spec
	$(MAKE) test-luas
	$(MAKE) fuzz-smoke
	$(MAKE) sanitize

# The embedding specs under another Lua (LUA=5.3|5.1|luajit): busted
# runs under each; LUABPF_LUA tells spec/helper.lua which build to use.
COMPAT_SPECS := spec/embedding_spec.lua spec/event_loops_spec.lua spec/luaversions_spec.lua
test-lua: all
	LUABPF_LUA=$(LUA) $(BUSTED) $(COMPAT_SPECS)

test-luas:
	@for l in $(OTHER_LUAS); do $(MAKE) -s test-lua LUA=$$l || exit 1; done

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
# fuzz-lex: its lexer against Lua 5.4's (spec/fuzz/fuzz_lex.c) on
# spec/fuzz/corpus_lex, the same way.
.PHONY: fuzz fuzz-lex fuzz-run fuzz-smoke
FUZZ_SECONDS ?= 300
FUZZ_LIB := $(wildcard luabpf/compiler/*.c) luabpf/runtime/format.c
FUZZ_SRC := $(FUZZ_LIB) spec/fuzz/fuzz_compile.c
FUZZ_CC = $(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Iluabpf -Ibpf -I$(B5)/gen

$(B5)/fuzz/fuzz_compile: $(FUZZ_SRC) $(wildcard luabpf/*/*.h bpf/*.h) $(B5)/gen/syscalls.h
	@$(MAKE) -s deps DEBS=libclang-rt-14-dev
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_SRC) -o $@

$(B5)/fuzz/fuzz_lex: $(FUZZ_LIB) spec/fuzz/fuzz_lex.c $(wildcard luabpf/*/*.h bpf/*.h) $(B5)/gen/syscalls.h
	@$(MAKE) -s deps DEBS=libclang-rt-14-dev
	@mkdir -p $(@D)
	$(FUZZ_CC) -I/usr/include/lua5.4 $(FUZZ_LIB) spec/fuzz/fuzz_lex.c -llua5.4 -lm -o $@

# fuzz-run: one fuzzer ($(FZ)) on a fresh copy of its corpus ($(FZC)),
# with its dictionary ($(FZD)) if it has one
fuzz-run: $(B5)/fuzz/$(FZ)
	rm -rf $(B5)/fuzz/$(FZ).corpus && mkdir -p $(B5)/fuzz/$(FZ).corpus $(B5)/fuzz/crashes
	cp $(FZC)/* $(B5)/fuzz/$(FZ).corpus/
	$< -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
		$(if $(FZD),-dict=$(FZD)) -print_final_stats=1 \
		-artifact_prefix=$(B5)/fuzz/crashes/$(FZ)- $(B5)/fuzz/$(FZ).corpus

fuzz:
	$(MAKE) fuzz-run FZ=fuzz_compile FZC=spec/fuzz/corpus

fuzz-lex:
	$(MAKE) fuzz-run FZ=fuzz_lex FZC=spec/fuzz/corpus_lex FZD=spec/fuzz/lex.dict

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=15
	$(MAKE) fuzz-lex FUZZ_SECONDS=10

# The C module (binding, compiler, runtime, templates) built with ASan
# and UBSan into build-asan/, and the user-space specs run against it.
# lua5.4 is not built with ASan: its runtime is preloaded by starting
# lua5.4 through the loader (ld.so --preload, a wrapper first on PATH
# that busted and every luabpf a spec starts go through), so commands
# the specs run (cc, mktemp) neither inherit nor report. ASan and leak
# reports go to build-asan/reports/, and any there fails the target,
# even one a spec would not notice (a child's stderr, a leak at exit).
# UBSan ignores log_path here: its report goes to the process's stderr
# and the process exits 1 (busted itself, or a luabpf whose status and
# stderr the specs compare). spec/sanitize.supp suppresses only what
# the interpreter's loader keeps, none of luabpf's.
SAN := build-asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_SPECS := spec/compiler_spec.lua spec/compiler_errors_spec.lua spec/format_spec.lua \
	spec/output_spec.lua spec/lexer_spec.lua spec/stream_spec.lua spec/hostile_spec.lua \
	spec/cli_spec.lua spec/privilege_spec.lua
SAN_REPORTS := $(abspath $(SAN))/reports
SAN_ENV = PATH=$(abspath $(SAN))/preload:$$PATH LUABPF_BUILD=$(SAN) \
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:log_path=$(SAN_REPORTS)/asan \
	LSAN_OPTIONS=suppressions=$(abspath spec/sanitize.supp):print_suppressions=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
.PHONY: sanitize
sanitize: deps
	@$(MAKE) -s deps DEBS='gcc libasan8 libubsan1 binutils'
	$(MAKE) all
	$(MAKE) module CC=gcc B=$(SAN) B5=$(SAN) CFLAGS='-O1 -g $(SAN_FLAGS)' LDFLAGS='$(SAN_FLAGS)'
	@mkdir -p $(SAN)/preload && { echo '#!/bin/sh'; \
	  echo "exec $$(readelf -l $$(command -v lua5.4) | sed -n 's/.*interpreter: \(.*\)]$$/\1/p')" \
	    "--preload $$(gcc -print-file-name=libasan.so) $$(command -v lua5.4) \"\$$@\""; \
	} > $(SAN)/preload/lua5.4 && chmod +x $(SAN)/preload/lua5.4
	rm -rf $(SAN_REPORTS) && mkdir -p $(SAN_REPORTS)
	$(SAN_ENV) lua5.4 /usr/bin/busted --lpath='$(SAN)/share/lua/5.4/?.lua;$(SAN)/share/lua/5.4/?/init.lua' \
		--cpath='$(SAN)/lib/lua/5.4/?.so' $(SAN_SPECS); rc=$$?; \
	for r in $(SAN_REPORTS)/*; do [ -e "$$r" ] || continue; echo "== $$r"; cat "$$r"; rc=1; done; \
	exit $$rc

demo: deps
	$(MAKE) all
	@echo "Counting syscalls per process for 5 seconds (scripts/syscount.lua)..."
	timeout -s INT 5 $(B)/bin/luabpf scripts/syscount.lua; true

# make bench's native baselines (spec/bench/native): hand-written libbpf
# tools doing each benchmark's work, one BPF object and skeleton each;
# progstat reads the kernel's per-program run time (bpf_stats).
NATIVE_TOOLS := count lat opens printf ucount first
NATIVE_BIN := $(addprefix $(B)/bench/native/,$(NATIVE_TOOLS)) $(B)/bench/progstat
.SECONDARY: $(foreach t,$(NATIVE_TOOLS),$(B)/bench/native/$(t).bpf.o $(B)/bench/native/$(t).skel.h)

$(B)/bench/native/%.bpf.o: spec/bench/native/%.bpf.c
	@mkdir -p $(@D)
	$(CLANG) -O2 -g -target bpf -Wall -I$(ARCH_INC) -c $< -o $@

$(B)/bench/native/%.skel.h: $(B)/bench/native/%.bpf.o
	bpftool gen skeleton $< name $*_bpf >$@.tmp && mv $@.tmp $@

$(B)/bench/native/%: spec/bench/native/%.c $(B)/bench/native/%.skel.h spec/bench/native/native.h
	$(CC) -O2 -g -Wall -Wextra -I$(@D) -o $@ $< -lbpf -lelf -lz

$(B)/bench/progstat: spec/bench/progstat.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -o $@ $< -lbpf -lelf -lz

bench: deps
	$(MAKE) all $(NATIVE_BIN)
	LUABPF=$(abspath $(B)/bin/luabpf) NATIVE=$(abspath $(B)/bench/native) spec/bench/run

# Soak: lab scripts against busy workloads for SOAK_SECONDS (spec/soak/run):
# tracers' RSS over time, lost events, map sizes; fails on RSS growth over
# 1 MiB per 10 min after the warm-up, or anything left attached.
SOAK_SECONDS ?= 600
.PHONY: soak
soak: deps
	$(MAKE) all
	SOAK_SECONDS=$(SOAK_SECONDS) LUABPF=$(abspath $(B)/bin/luabpf) spec/soak/run

install: module
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LUADIR)/luabpf $(DESTDIR)$(LIBDIR)/luabpf \
		$(DESTDIR)$(MANDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(EXAMPLEDIR)
	install -m 755 $(B)/bin/luabpf $(DESTDIR)$(BINDIR)/luabpf
	install -m 644 $(LUA_SRC) $(LMOD)/luabpf/constants.lua $(LMOD)/luabpf/version.lua \
		$(DESTDIR)$(LUADIR)/luabpf/
	install -m 755 $(CMOD)/luabpf/core.so $(DESTDIR)$(LIBDIR)/luabpf/
	install -m 644 $(B)/share/man/man1/luabpf.1 $(DESTDIR)$(MANDIR)/
	install -m 644 README.md doc/api.md $(DESTDIR)$(DOCDIR)/
	install -m 644 scripts/*.lua $(DESTDIR)$(EXAMPLEDIR)/

# A release of HEAD (commit first): build/luabpf-V.tar.gz (git archive),
# build/luabpf-V-1.rockspec (rocks/luabpf-V-1.rockspec with the tarball's
# absolute file:// url and md5) and build/luabpf-V-1.src.rock (both in
# one file: `luarocks install` builds it anywhere). V is the VERSION file.
DIST := $(B5)/luabpf-$(VERSION)
dist:
	@test -f rocks/luabpf-$(VERSION)-1.rockspec || \
	  { echo "VERSION is $(VERSION) but rocks/luabpf-$(VERSION)-1.rockspec does not exist" >&2; exit 1; }
	@mkdir -p $(B5)
	git archive --format=tar.gz --prefix=luabpf-$(VERSION)/ -o $(DIST).tar.gz HEAD
	sed 's|^  url = .*|  url = "file://$(abspath $(DIST)).tar.gz",\n  md5 = "'"$$(md5sum < $(DIST).tar.gz | cut -c1-32)"'",|' \
		rocks/luabpf-$(VERSION)-1.rockspec > $(DIST)-1.rockspec
	rm -f $(DIST)-1.src.rock
	cd $(B5) && luarocks --lua-version 5.4 pack luabpf-$(VERSION)-1.rockspec

format:
	clang-format -i luabpf/*.c luabpf/*.h luabpf/*/*.c luabpf/*/*.h bpf/*.h bpf/*.c spec/*/*.c spec/*/*.h spec/*/*/*.c spec/*/*/*.h

clean:
	rm -rf $(B5) $(SAN) $(patsubst %,build-%,$(OTHER_LUAS))
