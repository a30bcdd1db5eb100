/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Seeded random runs (stress_test, fuzz_test): a xorshift64* generator,
 * numbers from the environment, and one seed per program, chosen before
 * the harness forks a child per case (GASPACE_SEED, or from the clock)
 * and printed with the program's wall time at its end, so that a run can
 * be replayed.  Include it once per program, after gaspace_util.h.
 */
#ifndef GASPACE_RANDOM_H
#define GASPACE_RANDOM_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

/* xorshift64*: the next number of the sequence in *@state (never 0). */
static inline __u64 gas_rnd(__u64 *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

static inline unsigned long long env_number(const char *name,
					    unsigned long long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static __u64 gas_seed;
static struct timespec gas_prog_start;

/* Chosen once, before the harness forks a child per case. */
static void __attribute__((constructor)) gas_seed_init(void)
{
	clock_gettime(CLOCK_MONOTONIC, &gas_prog_start);
	gas_seed = env_number("GASPACE_SEED", 0);
	if (!gas_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		gas_seed = (ts.tv_sec * 1000000007ULL) ^ ts.tv_nsec ^
			   ((__u64)getpid() << 32);
	}
}

static inline __u64 the_seed(void)
{
	return gas_seed;
}

/* The program's wall time, once the harness is done (children _exit). */
static void __attribute__((destructor)) gas_report_time(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("# %s: seed %#llx, %.1f s in all\n",
	       program_invocation_short_name, (unsigned long long)gas_seed,
	       (now.tv_sec - gas_prog_start.tv_sec) +
	       (now.tv_nsec - gas_prog_start.tv_nsec) / 1e9);
}

#endif /* GASPACE_RANDOM_H */
