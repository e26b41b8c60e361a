/* Standalone driver for the USDT argument decoder (luabpf/runtime/usdt.c):
 *
 *   usdt_driver ARG...
 *
 * prints one line per ARG: "ARG: DECODED" (lb_usdt_describe, then the
 * spec's fields: kind, size, signedness, registers as pt_regs words,
 * scale, shift, val, symbol), or "ARG: error: MESSAGE".
 * Build: cc -Iluabpf -Ibpf spec/usdt/driver.c luabpf/runtime/usdt.c */
#include <stdio.h>
#include "runtime/usdt.h"

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct lb_usdt_operand o;
		char err[512], desc[256];

		if (lb_usdt_parse(argv[i], &o, err, sizeof err)) {
			printf("%s: error: %s\n", argv[i], err);
			continue;
		}
		lb_usdt_describe(&o, desc, sizeof desc);
		printf("%s: %s {kind=%u size=%u signed=%u base=%u index=%u scale=%u shift=%u "
		       "val=%lld sym=%s}\n",
		       argv[i], desc, o.a.kind, o.a.size, o.a.is_signed, o.a.base, o.a.index,
		       o.a.scale, o.a.shift, (long long)o.a.val, o.sym);
	}
	return 0;
}
