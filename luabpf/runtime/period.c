/* One parser for every rate or period a user writes: interval() and
 * profile() take the same units, in either order bpftrace allows. */
#include <stdio.h>
#include <string.h>
#include "runtime.h"

#define YEAR_NS (365ull * 24 * 3600 * 1000000000ull)

int lb_parse_period(const char *what, const char *spec, uint64_t *freq_hz, uint64_t *period_ns,
		    char *err, size_t errlen)
{
	static const struct {
		const char *unit;
		uint64_t ns; /* 0: a rate in hertz */
	} units[] = {{"ns", 1},		{"us", 1000},	       {"ms", 1000000},
		     {"s", 1000000000}, {"m", 60000000000ull}, {"hz", 0}};
	const char *digits = spec, *unit = spec, *end;
	size_t ulen = 0;
	uint64_t n = 0;
	int too_big = 0;

	/* "99hz" or bpftrace's "hz:99"; strtoull would take signs and blanks */
	if (*spec >= '0' && *spec <= '9') {
		for (end = spec; *end >= '0' && *end <= '9'; end++)
			;
		unit = end;
		ulen = strlen(unit);
	} else {
		const char *colon = strchr(spec, ':');

		if (!colon)
			goto bad;
		ulen = (size_t)(colon - spec);
		digits = colon + 1;
		for (end = digits; *end >= '0' && *end <= '9'; end++)
			;
		if (end == digits || *end)
			goto bad;
	}
	for (const char *d = digits; *d >= '0' && *d <= '9'; d++) {
		if (n > (UINT64_MAX - 9) / 10)
			too_big = 1;
		else
			n = n * 10 + (uint64_t)(*d - '0');
	}
	for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
		uint64_t ns = units[i].ns;

		if (ulen != strlen(units[i].unit) || strncmp(unit, units[i].unit, ulen))
			continue;
		if (ns && (too_big || n > YEAR_NS / ns)) {
			/* longer ones overflow the timers' nanoseconds */
			snprintf(err, errlen, "%s '" LB_CLIP_FMT "' is longer than a year", what,
				 LB_CLIP(spec));
			return -2;
		}
		/* above 1 GHz a period is under a nanosecond */
		if (n == 0 || too_big || (!ns && n > 1000000000))
			goto bad;
		*freq_hz = ns ? 0 : n;
		*period_ns = ns * n;
		return 0;
	}
bad:
	snprintf(err, errlen, "bad %s '" LB_CLIP_FMT "'", what, LB_CLIP(spec));
	return -1;
}
