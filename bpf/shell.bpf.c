/* Shells for handlers translated to BPF instructions (luabpf/compiler/
 * bpfgen.c): one empty program per attach kind, with the section (and so
 * the program type and attach plumbing) of the template it stands for.
 * The loader replaces each one's instructions before load; the shells
 * reference no map and no data, so libbpf has nothing to relocate in
 * them. Built without -g: BTF line info would describe the empty bodies. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define LB_SHELL(sec, name)                                                                        \
	SEC(sec) int name(void *ctx)                                                               \
	{                                                                                          \
		return 0;                                                                          \
	}

LB_SHELL("tracepoint", lb_tracepoint)
LB_SHELL("perf_event", lb_perf_event)
LB_SHELL("fentry", lb_fentry)
LB_SHELL("fexit", lb_fexit)
LB_SHELL("tp_btf", lb_tp_btf)
LB_SHELL("kprobe", lb_kprobe)
LB_SHELL("kretprobe", lb_kretprobe)
LB_SHELL("uprobe", lb_uprobe)
LB_SHELL("uretprobe", lb_uretprobe)
LB_SHELL("uprobe", lb_uprobe_multi)
LB_SHELL("uprobe", lb_usdt)
