/* workloads/wl_util.c — helpers shared by the native workloads; see
 * wl_util.h. */
#include "wl_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- Hashing ------------------------------------------------------------------ */

uint64_t wl_mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

#define WL_FNV_PRIME UINT64_C(0x100000001b3)

uint64_t wl_hash_word(uint64_t h, uint64_t w) { return (h ^ w) * WL_FNV_PRIME; }

uint64_t wl_hash_bytes(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * WL_FNV_PRIME;
    return h;
}

/* ---- PRNG ---------------------------------------------------------------------- */

void wl_rng_seed(wl_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        x += UINT64_C(0x9e3779b97f4a7c15);
        r->s[i] = wl_mix64(x);
    }
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t wl_rng_next(wl_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t wl_rng_below(wl_rng *r, uint64_t n)
{
    /* Lemire's multiply-shift: bias below 2^-64 * n, irrelevant here. */
    return (uint64_t)(((unsigned __int128)wl_rng_next(r) * n) >> 64);
}

uint64_t wl_rng_range(wl_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + wl_rng_below(r, hi - lo + 1);
}

uint64_t wl_rng_log_range(wl_rng *r, uint64_t lo, uint64_t hi)
{
    /* Pick a power-of-two band uniformly, then a value inside it. */
    unsigned blo = 63 - (unsigned)__builtin_clzll(lo), bhi = 63 - (unsigned)__builtin_clzll(hi);
    unsigned b = (unsigned)wl_rng_range(r, blo, bhi);
    uint64_t a = (uint64_t)1 << b, z = b == 63 ? UINT64_MAX : ((uint64_t)1 << (b + 1)) - 1;
    if (a < lo)
        a = lo;
    if (z > hi)
        z = hi;
    return wl_rng_range(r, a, z);
}

bool wl_rng_chance(wl_rng *r, unsigned percent) { return wl_rng_below(r, 100) < percent; }

/* ---- Roots and checks ------------------------------------------------------------ */

void wl_root_slots(gc_mutator *m, gc_value *slots, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        slots[i] = GC_NIL;
        gc_root(m, &slots[i]);
    }
}

bool wl_is_type(gc_value v, uint32_t type)
{
    return gc_is_ref(v) && gc_header_type(gc_ref(v)->header) == type;
}

void wl_note(char *buf, size_t cap, const char *fmt, ...)
{
    if (cap == 0 || buf[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

/* ---- Detail ------------------------------------------------------------------------- */

void wl_detail_init(wl_detail *d, wl_result *res)
{
    res->verified = false;
    res->detail[0] = '\0';
    d->buf = res->detail;
    d->cap = sizeof res->detail;
    d->len = 0;
}

static void detail_advance(wl_detail *d, int n)
{
    d->len = n < 0 ? d->cap - 1 : d->len + (size_t)n;
    if (d->len >= d->cap)
        d->len = d->cap - 1;
}

void wl_detail_add(wl_detail *d, const char *fmt, ...)
{
    if (d->len + 1 >= d->cap)
        return;
    if (d->len > 0)
        detail_advance(d, snprintf(d->buf + d->len, d->cap - d->len, ", "));
    va_list ap;
    va_start(ap, fmt);
    detail_advance(d, vsnprintf(d->buf + d->len, d->cap - d->len, fmt, ap));
    va_end(ap);
}

uint32_t wl_register_type(wl_detail *d, const char *name, const char *layout)
{
    uint32_t t = gc_type_register(name, layout);
    if (t == GC_TYPE_INVALID)
        wl_detail_add(d, "cannot register record type %s (%s)", name, layout);
    return t;
}

int wl_corrupt_mode(int debug_corrupt, int nmodes)
{
    if (debug_corrupt == 0)
        return 0;
    unsigned u = debug_corrupt > 0 ? (unsigned)debug_corrupt - 1 : (unsigned)-(debug_corrupt + 1);
    return (int)(u % (unsigned)nmodes) + 1;
}
