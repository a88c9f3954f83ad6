/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seeded PRNG of the fuzzer and the stress run: xorshift64*, seeded
 * through splitmix64, so that a seed printed by a failing run replays it.
 */
#ifndef KBITS_SELFTEST_RNG_H
#define KBITS_SELFTEST_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	uint64_t x = seed;

	r->s = splitmix64(&x);
	if (!r->s)	/* xorshift's one state that stays put */
		r->s = 0x2545f4914f6cdd1dull;
}

static inline uint64_t rnd64(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

/* 0 .. n-1 (0 when n is 0) */
static inline uint32_t rnd(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)((rnd64(r) >> 32) % n) : 0;
}

#endif /* KBITS_SELFTEST_RNG_H */
