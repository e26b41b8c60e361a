/* What luabpf knows of the machine, in one place: x86-64's struct pt_regs
 * (the context of kprobes, uprobes and perf events, and the registers
 * LB_OP_UNWIND_ADD copies), the registers' names in bpftrace's reg() and
 * in the assembler of USDT notes, DWARF's numbering (libdw unwinds with
 * it), the calling convention, and where the libraries live. Syscall
 * numbers come from the system headers (runtime/syscalls.c). A port
 * starts here, and with __TARGET_ARCH_ in the Makefile. */
#ifndef LB_ARCH_H
#define LB_ARCH_H

#if !defined(__bpf__) && !defined(__x86_64__)
#error "luabpf knows x86-64 only: port bpf/arch.h"
#endif

#define LB_ARCH "x86-64"

/* struct pt_regs, by 8-byte word */
enum {
	LB_REG_R15,
	LB_REG_R14,
	LB_REG_R13,
	LB_REG_R12,
	LB_REG_BP,
	LB_REG_BX,
	LB_REG_R11,
	LB_REG_R10,
	LB_REG_R9,
	LB_REG_R8,
	LB_REG_AX,
	LB_REG_CX,
	LB_REG_DX,
	LB_REG_SI,
	LB_REG_DI,
	LB_REG_ORIG_AX,
	LB_REG_IP,
	LB_REG_CS,
	LB_REG_FLAGS,
	LB_REG_SP,
	LB_REG_SS,
	LB_REG_WORDS
};

/* X(word, reg() name, then the assembler's 64, 32, 16 and 8-bit names,
 * NULL where there is none), in pt_regs order */
#define LB_ARCH_REGS(X)                                                                            \
	X(LB_REG_R15, "r15", "r15", "r15d", "r15w", "r15b")                                        \
	X(LB_REG_R14, "r14", "r14", "r14d", "r14w", "r14b")                                        \
	X(LB_REG_R13, "r13", "r13", "r13d", "r13w", "r13b")                                        \
	X(LB_REG_R12, "r12", "r12", "r12d", "r12w", "r12b")                                        \
	X(LB_REG_BP, "bp", "rbp", "ebp", "bp", "bpl")                                              \
	X(LB_REG_BX, "bx", "rbx", "ebx", "bx", "bl")                                               \
	X(LB_REG_R11, "r11", "r11", "r11d", "r11w", "r11b")                                        \
	X(LB_REG_R10, "r10", "r10", "r10d", "r10w", "r10b")                                        \
	X(LB_REG_R9, "r9", "r9", "r9d", "r9w", "r9b")                                              \
	X(LB_REG_R8, "r8", "r8", "r8d", "r8w", "r8b")                                              \
	X(LB_REG_AX, "ax", "rax", "eax", "ax", "al")                                               \
	X(LB_REG_CX, "cx", "rcx", "ecx", "cx", "cl")                                               \
	X(LB_REG_DX, "dx", "rdx", "edx", "dx", "dl")                                               \
	X(LB_REG_SI, "si", "rsi", "esi", "si", "sil")                                              \
	X(LB_REG_DI, "di", "rdi", "edi", "di", "dil")                                              \
	X(LB_REG_ORIG_AX, "orig_ax", NULL, NULL, NULL, NULL)                                       \
	X(LB_REG_IP, "ip", "rip", NULL, NULL, NULL)                                                \
	X(LB_REG_CS, "cs", NULL, NULL, NULL, NULL)                                                 \
	X(LB_REG_FLAGS, "flags", NULL, NULL, NULL, NULL)                                           \
	X(LB_REG_SP, "sp", "rsp", "esp", "sp", "spl")                                              \
	X(LB_REG_SS, "ss", NULL, NULL, NULL, NULL)

/* reg()'s names for an error's hint */
#define LB_ARCH_REG_LIST "ip, sp, bp, ax, bx, cx, dx, si, di, r8 .. r15, flags, orig_ax, cs, ss"

/* The System V calling convention: integer arguments, the return value */
#define LB_ARG_REGS                                                                                \
	{                                                                                          \
		LB_REG_DI, LB_REG_SI, LB_REG_DX, LB_REG_CX, LB_REG_R8, LB_REG_R9                   \
	}
#define LB_NARG_REGS 6
#define LB_RET_REG LB_REG_AX

/* DWARF register numbers 0..16 (rax rdx rcx rbx rsi rdi rbp rsp r8..r15
 * rip) as pt_regs words */
#define LB_DWARF_REGS                                                                              \
	{                                                                                          \
		LB_REG_AX, LB_REG_DX, LB_REG_CX, LB_REG_BX, LB_REG_SI, LB_REG_DI, LB_REG_BP,       \
		    LB_REG_SP, LB_REG_R8, LB_REG_R9, LB_REG_R10, LB_REG_R11, LB_REG_R12,           \
		    LB_REG_R13, LB_REG_R14, LB_REG_R15, LB_REG_IP                                  \
	}
#define LB_NDWARF_REGS 17

/* Where a library named without a path is looked for, after ld.so's
 * cache (Debian's multiarch directories first) */
#define LB_LIB_DIRS                                                                                \
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib",      \
	    "/usr/lib", "/usr/local/lib"

#endif
