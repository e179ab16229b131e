// Ed25519 verification with per-key precomputed tables. See include/ced25519.h for the contract.
//
// Field: GF(2^255 - 19) in five 51-bit limbs (products in unsigned __int128). Every add and sub
// carries, so every limb that enters a multiplication is below 2^52.
// Group: twisted Edwards (a = -1) in extended coordinates (X:Y:Z:T, x = X/Z, y = Y/Z, T = XY/Z);
// table entries are affine "Niels" triples (y + x, y - x, 2dxy). The formulas are the complete
// unified addition and doubling of Hisil–Wong–Carter–Dawson (2008), as in ref10.
// Scalars: signed digits in radix 2^w; row i of a table holds j * 2^(w i) * P for j = 1..2^(w-1),
// so [k]P is one mixed addition (or subtraction) per non-zero digit and needs no doubling. A key's
// table uses w = 5 (52 rows of 16 points); the base point's, made once, w = 8 (32 rows of 128).

#include "ced25519.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;
typedef struct { uint64_t v[5]; } fe;
typedef struct { fe X, Y, Z, T; } ge_p3;
typedef struct { fe ypx, ymx, xy2d; } ge_niels;

#define KEY_W 5
#define KEY_ROWS 52      // ceil(256 / 5): digits of a scalar below 2^253, the last one carried into
#define KEY_PER_ROW 16
#define BASE_W 8
#define BASE_ROWS 32
#define BASE_PER_ROW 128
_Static_assert(sizeof(ge_niels) * KEY_ROWS * KEY_PER_ROW == CED25519_TABLE_BYTES, "table size");

#define M51 ((uint64_t)0x7ffffffffffff)

// ---------------------------------------------------------------- field

static inline uint64_t load64(const uint8_t *p) {
    uint64_t r;
    memcpy(&r, p, 8);   // little-endian host (x86-64, arm64)
    return r;
}

static inline void fe_carry(fe *h) {
    uint64_t *t = h->v;
    t[1] += t[0] >> 51; t[0] &= M51;
    t[2] += t[1] >> 51; t[1] &= M51;
    t[3] += t[2] >> 51; t[2] &= M51;
    t[4] += t[3] >> 51; t[3] &= M51;
    t[0] += 19 * (t[4] >> 51); t[4] &= M51;
}

static inline void fe_set(fe *h, uint64_t small) {
    h->v[0] = small; h->v[1] = h->v[2] = h->v[3] = h->v[4] = 0;
}

static inline void fe_add(fe *h, const fe *f, const fe *g) {
    for (int i = 0; i < 5; i++) h->v[i] = f->v[i] + g->v[i];
    fe_carry(h);
}

// f - g + 4p (g's limbs are below 2^52 < 4p's).
static inline void fe_sub(fe *h, const fe *f, const fe *g) {
    h->v[0] = f->v[0] + 0x1fffffffffffb4ULL - g->v[0];
    for (int i = 1; i < 5; i++) h->v[i] = f->v[i] + 0x1ffffffffffffcULL - g->v[i];
    fe_carry(h);
}

static inline void fe_neg(fe *h, const fe *f) {
    fe zero;
    fe_set(&zero, 0);
    fe_sub(h, &zero, f);
}

static inline void fe_reduce_products(fe *h, u128 t0, u128 t1, u128 t2, u128 t3, u128 t4) {
    uint64_t r0, r1, r2, r3, r4, c;
    r0 = (uint64_t)t0 & M51; t1 += (uint64_t)(t0 >> 51);
    r1 = (uint64_t)t1 & M51; t2 += (uint64_t)(t1 >> 51);
    r2 = (uint64_t)t2 & M51; t3 += (uint64_t)(t2 >> 51);
    r3 = (uint64_t)t3 & M51; t4 += (uint64_t)(t3 >> 51);
    r4 = (uint64_t)t4 & M51; c = (uint64_t)(t4 >> 51);
    r0 += c * 19;
    r1 += r0 >> 51; r0 &= M51;
    h->v[0] = r0; h->v[1] = r1; h->v[2] = r2; h->v[3] = r3; h->v[4] = r4;
}

static void fe_mul(fe *h, const fe *f, const fe *g) {
    const uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    const uint64_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
    const uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    u128 t0 = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 + (u128)f4 * g1_19;
    u128 t1 = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 + (u128)f4 * g2_19;
    u128 t2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 + (u128)f4 * g3_19;
    u128 t3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 + (u128)f4 * g4_19;
    u128 t4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;
    fe_reduce_products(h, t0, t1, t2, t3, t4);
}

static void fe_sq(fe *h, const fe *f) {
    const uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    const uint64_t d0 = 2 * f0, d1 = 2 * f1, d2 = 2 * f2, d3 = 2 * f3;
    const uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
    u128 t0 = (u128)f0 * f0 + (u128)d1 * f4_19 + (u128)d2 * f3_19;
    u128 t1 = (u128)d0 * f1 + (u128)d2 * f4_19 + (u128)f3 * f3_19;
    u128 t2 = (u128)d0 * f2 + (u128)f1 * f1 + (u128)d3 * f4_19;
    u128 t3 = (u128)d0 * f3 + (u128)d1 * f2 + (u128)f4 * f4_19;
    u128 t4 = (u128)d0 * f4 + (u128)d1 * f3 + (u128)f2 * f2;
    fe_reduce_products(h, t0, t1, t2, t3, t4);
}

static void fe_sqn(fe *h, const fe *f, int n) {
    fe_sq(h, f);
    for (int i = 1; i < n; i++) fe_sq(h, h);
}

// z^(2^250 - 1) into *z250 and z^11 into *z11.
static void fe_pow_2_250_1(fe *z250, fe *z11, const fe *z) {
    fe t0, t1, t2, t3;
    fe_sq(&t0, z);                 // z^2
    fe_sqn(&t1, &t0, 2);           // z^8
    fe_mul(&t1, &t1, z);           // z^9
    fe_mul(&t0, &t0, &t1);         // z^11
    *z11 = t0;
    fe_sq(&t2, &t0);               // z^22
    fe_mul(&t1, &t1, &t2);         // z^31 = z^(2^5 - 1)
    fe_sqn(&t2, &t1, 5);
    fe_mul(&t1, &t2, &t1);         // z^(2^10 - 1)
    fe_sqn(&t2, &t1, 10);
    fe_mul(&t2, &t2, &t1);         // z^(2^20 - 1)
    fe_sqn(&t3, &t2, 20);
    fe_mul(&t2, &t3, &t2);         // z^(2^40 - 1)
    fe_sqn(&t2, &t2, 10);
    fe_mul(&t1, &t2, &t1);         // z^(2^50 - 1)
    fe_sqn(&t2, &t1, 50);
    fe_mul(&t2, &t2, &t1);         // z^(2^100 - 1)
    fe_sqn(&t3, &t2, 100);
    fe_mul(&t2, &t3, &t2);         // z^(2^200 - 1)
    fe_sqn(&t2, &t2, 50);
    fe_mul(z250, &t2, &t1);        // z^(2^250 - 1)
}

// z^(p - 2) = z^(2^255 - 21).
static void fe_invert(fe *out, const fe *z) {
    fe t, z11;
    fe_pow_2_250_1(&t, &z11, z);
    fe_sqn(&t, &t, 5);             // z^(2^255 - 32)
    fe_mul(out, &t, &z11);
}

// z^((p - 5) / 8) = z^(2^252 - 3).
static void fe_pow22523(fe *out, const fe *z) {
    fe t, z11;
    fe_pow_2_250_1(&t, &z11, z);
    fe_sqn(&t, &t, 2);             // z^(2^252 - 4)
    fe_mul(out, &t, z);
}

// 255 bits (the top bit ignored); values >= p are taken mod p, as BoringSSL's fe_frombytes does.
static void fe_frombytes(fe *h, const uint8_t s[32]) {
    h->v[0] = load64(s) & M51;
    h->v[1] = (load64(s + 6) >> 3) & M51;
    h->v[2] = (load64(s + 12) >> 6) & M51;
    h->v[3] = (load64(s + 19) >> 1) & M51;
    h->v[4] = (load64(s + 24) >> 12) & M51;
}

static void fe_tobytes(uint8_t s[32], const fe *f) {
    fe h = *f;
    fe_carry(&h);
    fe_carry(&h);
    uint64_t *t = h.v;
    uint64_t q = (t[0] + 19) >> 51;
    q = (t[1] + q) >> 51;
    q = (t[2] + q) >> 51;
    q = (t[3] + q) >> 51;
    q = (t[4] + q) >> 51;
    t[0] += 19 * q;
    t[1] += t[0] >> 51; t[0] &= M51;
    t[2] += t[1] >> 51; t[1] &= M51;
    t[3] += t[2] >> 51; t[2] &= M51;
    t[4] += t[3] >> 51; t[3] &= M51;
    t[4] &= M51;
    uint64_t w[4] = {
        t[0] | (t[1] << 51),
        (t[1] >> 13) | (t[2] << 38),
        (t[2] >> 26) | (t[3] << 25),
        (t[3] >> 39) | (t[4] << 12),
    };
    memcpy(s, w, 32);
}

static int fe_isnegative(const fe *f) {
    uint8_t s[32];
    fe_tobytes(s, f);
    return s[0] & 1;
}

static int fe_iszero(const fe *f) {
    uint8_t s[32];
    fe_tobytes(s, f);
    uint8_t any = 0;
    for (int i = 0; i < 32; i++) any |= s[i];
    return any == 0;
}

// ---------------------------------------------------------------- constants

static fe fe_d, fe_d2, fe_sqrtm1;
static ge_niels *base_table;

// ---------------------------------------------------------------- group

static void ge_identity(ge_p3 *p) {
    fe_set(&p->X, 0); fe_set(&p->Y, 1); fe_set(&p->Z, 1); fe_set(&p->T, 0);
}

// Decodes as BoringSSL's x25519_ge_frombytes_vartime: 1 on success.
static int ge_frombytes(ge_p3 *h, const uint8_t s[32]) {
    fe u, v, v3, vxx, check, one;
    fe_set(&one, 1);
    fe_frombytes(&h->Y, s);
    fe_set(&h->Z, 1);
    fe_sq(&u, &h->Y);              // y^2
    fe_mul(&v, &u, &fe_d);         // d y^2
    fe_sub(&u, &u, &one);          // u = y^2 - 1
    fe_add(&v, &v, &one);          // v = d y^2 + 1
    // x = u v^3 (u v^7)^((p - 5) / 8)
    fe_sq(&v3, &v);
    fe_mul(&v3, &v3, &v);          // v^3
    fe_sq(&h->X, &v3);
    fe_mul(&h->X, &h->X, &v);      // v^7
    fe_mul(&h->X, &h->X, &u);      // u v^7
    fe_pow22523(&h->X, &h->X);
    fe_mul(&h->X, &h->X, &v3);
    fe_mul(&h->X, &h->X, &u);
    fe_sq(&vxx, &h->X);
    fe_mul(&vxx, &vxx, &v);        // v x^2
    fe_sub(&check, &vxx, &u);
    if (!fe_iszero(&check)) {
        fe_add(&check, &vxx, &u);
        if (!fe_iszero(&check)) return 0;
        fe_mul(&h->X, &h->X, &fe_sqrtm1);
    }
    if (fe_isnegative(&h->X) != (s[31] >> 7)) fe_neg(&h->X, &h->X);
    fe_mul(&h->T, &h->X, &h->Y);
    return 1;
}

// r = p + q (both extended).
static void ge_add(ge_p3 *r, const ge_p3 *p, const ge_p3 *q) {
    fe a, b, c, d, e, f, g, h, t;
    fe_sub(&a, &p->Y, &p->X);
    fe_sub(&t, &q->Y, &q->X);
    fe_mul(&a, &a, &t);
    fe_add(&b, &p->Y, &p->X);
    fe_add(&t, &q->Y, &q->X);
    fe_mul(&b, &b, &t);
    fe_mul(&c, &p->T, &q->T);
    fe_mul(&c, &c, &fe_d2);
    fe_mul(&d, &p->Z, &q->Z);
    fe_add(&d, &d, &d);
    fe_sub(&e, &b, &a);
    fe_sub(&f, &d, &c);
    fe_add(&g, &d, &c);
    fe_add(&h, &b, &a);
    fe_mul(&r->X, &e, &f);
    fe_mul(&r->Y, &g, &h);
    fe_mul(&r->T, &e, &h);
    fe_mul(&r->Z, &f, &g);
}

// r = 2p.
static void ge_dbl(ge_p3 *r, const ge_p3 *p) {
    fe a, b, c, e, f, g, h, t;
    fe_sq(&a, &p->X);
    fe_sq(&b, &p->Y);
    fe_sq(&c, &p->Z);
    fe_add(&c, &c, &c);
    fe_add(&h, &a, &b);
    fe_add(&t, &p->X, &p->Y);
    fe_sq(&t, &t);
    fe_sub(&e, &h, &t);
    fe_sub(&g, &a, &b);
    fe_add(&f, &c, &g);
    fe_mul(&r->X, &e, &f);
    fe_mul(&r->Y, &g, &h);
    fe_mul(&r->T, &e, &h);
    fe_mul(&r->Z, &f, &g);
}

// r += q (sign 1) or r -= q (sign -1), q affine.
static inline void ge_madd(ge_p3 *r, const ge_niels *q, int negate) {
    fe a, b, c, d, e, f, g, h;
    fe_sub(&a, &r->Y, &r->X);
    fe_mul(&a, &a, negate ? &q->ypx : &q->ymx);
    fe_add(&b, &r->Y, &r->X);
    fe_mul(&b, &b, negate ? &q->ymx : &q->ypx);
    fe_mul(&c, &r->T, &q->xy2d);
    fe_add(&d, &r->Z, &r->Z);
    fe_sub(&e, &b, &a);
    fe_add(&h, &b, &a);
    if (negate) {
        fe_add(&f, &d, &c);
        fe_sub(&g, &d, &c);
    } else {
        fe_sub(&f, &d, &c);
        fe_add(&g, &d, &c);
    }
    fe_mul(&r->X, &e, &f);
    fe_mul(&r->Y, &g, &h);
    fe_mul(&r->T, &e, &h);
    fe_mul(&r->Z, &f, &g);
}

// Row i, column j: (j + 1) * 2^(w i) * P, affine; rows * per_row entries (per_row = 2^(w - 1)).
static int table_build(ge_niels *table, const ge_p3 *p, int rows, int per_row) {
    const int n = rows * per_row;
    ge_p3 *points = malloc(sizeof(ge_p3) * (size_t)n);
    fe *prefix = malloc(sizeof(fe) * (size_t)n);
    if (points == NULL || prefix == NULL) {
        free(points); free(prefix);
        return 0;
    }
    ge_p3 base = *p;
    for (int i = 0; i < rows; i++) {
        ge_p3 *row = points + i * per_row;
        row[0] = base;
        for (int j = 1; j < per_row; j++) ge_add(&row[j], &row[j - 1], &base);
        ge_dbl(&base, &row[per_row - 1]);   // 2 * 2^(w-1) * base = 2^w * base
    }
    // One inversion for all n Z's (Montgomery's trick). Z is never 0 on this curve.
    prefix[0] = points[0].Z;
    for (int k = 1; k < n; k++) fe_mul(&prefix[k], &prefix[k - 1], &points[k].Z);
    fe inv;
    fe_invert(&inv, &prefix[n - 1]);
    for (int k = n - 1; k >= 0; k--) {
        fe zinv, x, y;
        if (k > 0) {
            fe_mul(&zinv, &inv, &prefix[k - 1]);
            fe_mul(&inv, &inv, &points[k].Z);
        } else {
            zinv = inv;
        }
        fe_mul(&x, &points[k].X, &zinv);
        fe_mul(&y, &points[k].Y, &zinv);
        fe_add(&table[k].ypx, &y, &x);
        fe_sub(&table[k].ymx, &y, &x);
        fe_mul(&table[k].xy2d, &x, &y);
        fe_mul(&table[k].xy2d, &table[k].xy2d, &fe_d2);
    }
    free(points);
    free(prefix);
    return 1;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_constants(void) {
    // d = -121665 / 121666
    fe num, den;
    fe_set(&num, 121665);
    fe_neg(&num, &num);
    fe_set(&den, 121666);
    fe_invert(&den, &den);
    fe_mul(&fe_d, &num, &den);
    fe_add(&fe_d2, &fe_d, &fe_d);
    // sqrt(-1) = 2^((p - 1) / 4) = (2^((p - 5) / 8))^2 * 2
    fe two;
    fe_set(&two, 2);
    fe_pow22523(&fe_sqrtm1, &two);
    fe_sq(&fe_sqrtm1, &fe_sqrtm1);
    fe_mul(&fe_sqrtm1, &fe_sqrtm1, &two);
    // B: y = 4/5, x even; its encoding is 0x58 then 31 bytes of 0x66.
    uint8_t b[32];
    memset(b, 0x66, 32);
    b[0] = 0x58;
    ge_p3 B;
    static ge_niels table[BASE_ROWS * BASE_PER_ROW];
    if (ge_frombytes(&B, b) && table_build(table, &B, BASE_ROWS, BASE_PER_ROW)) base_table = table;
}

// ---------------------------------------------------------------- scalars

static const uint64_t kOrder[4] = {
    0x5812631a5cf5d3edULL, 0x14def9dea2f79cd6ULL, 0, 0x1000000000000000ULL,
};

// S < L, compared as BoringSSL compares it.
static int scalar_is_canonical(const uint8_t s[32]) {
    for (int i = 3; i >= 0; i--) {
        uint64_t w = load64(s + i * 8);
        if (w > kOrder[i]) return 0;
        if (w < kOrder[i]) return 1;
    }
    return 0;   // equal to L
}

static inline uint64_t sbb(uint64_t a, uint64_t b, uint64_t *borrow) {
    u128 d = (u128)a - b - *borrow;
    *borrow = (uint64_t)(d >> 127);
    return (uint64_t)d;
}

static inline uint64_t adc(uint64_t a, uint64_t b, uint64_t *carry) {
    u128 s = (u128)a + b + *carry;
    *carry = (uint64_t)(s >> 64);
    return (uint64_t)s;
}

// Horner over the bytes, most significant first: a = (a * 256 + byte) mod L, where with
// L = 2^252 + c, t = q * 2^252 + r is r - q * c (adding L once when that is negative).
void ced25519_reduce(uint8_t out[32], const uint8_t h[64]) {
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int k = 63; k >= 0; k--) {
        uint64_t t4 = a3 >> 56;
        uint64_t t3 = (a3 << 8) | (a2 >> 56);
        uint64_t t2 = (a2 << 8) | (a1 >> 56);
        uint64_t t1 = (a1 << 8) | (a0 >> 56);
        uint64_t t0 = (a0 << 8) | h[k];
        uint64_t q = (t4 << 4) | (t3 >> 60);
        t3 &= 0x0fffffffffffffffULL;
        u128 m0 = (u128)q * kOrder[0];
        u128 m1 = (u128)q * kOrder[1] + (uint64_t)(m0 >> 64);
        uint64_t borrow = 0;
        a0 = sbb(t0, (uint64_t)m0, &borrow);
        a1 = sbb(t1, (uint64_t)m1, &borrow);
        a2 = sbb(t2, (uint64_t)(m1 >> 64), &borrow);
        a3 = sbb(t3, 0, &borrow);
        if (borrow) {
            uint64_t carry = 0;
            a0 = adc(a0, kOrder[0], &carry);
            a1 = adc(a1, kOrder[1], &carry);
            a2 = adc(a2, kOrder[2], &carry);
            a3 = adc(a3, kOrder[3], &carry);
        }
    }
    uint64_t w[4] = {a0, a1, a2, a3};
    memcpy(out, w, 32);
}

// `rows` signed digits of a (< 2^253) in radix 2^w, each in -(2^(w-1) - 1)..2^(w-1):
// a = sum of e[i] * 2^(w i).
static void digits(int16_t *e, const uint8_t a[32], int w, int rows) {
    int carry = 0;
    for (int i = 0; i < rows; i++) {
        int bit = i * w;
        int v = 0;
        for (int b = 0; b < w && bit + b < 256; b++) v |= ((a[(bit + b) >> 3] >> ((bit + b) & 7)) & 1) << b;
        v += carry;
        if (v > (1 << (w - 1))) {
            v -= 1 << w;
            carry = 1;
        } else {
            carry = 0;
        }
        e[i] = (int16_t)v;
    }
}

// ---------------------------------------------------------------- API

int ced25519_table_init(void *table, const uint8_t public_key[32]) {
    pthread_once(&init_once, init_constants);
    ge_p3 A;
    if (!ge_frombytes(&A, public_key)) return 0;
    fe_neg(&A.X, &A.X);   // the table holds multiples of -A: verification computes [S]B + [h](-A)
    fe_neg(&A.T, &A.T);
    return table_build((ge_niels *)table, &A, KEY_ROWS, KEY_PER_ROW);
}

// [S]B - [h]A into *r; 0 when S is not below L (or the base table could not be built).
static int verify_point(ge_p3 *r, const void *table, const uint8_t signature[64], const uint8_t digest[64]) {
    if (base_table == NULL) return 0;
    const uint8_t *S = signature + 32;
    if (!scalar_is_canonical(S)) return 0;
    uint8_t h[32];
    ced25519_reduce(h, digest);
    int16_t es[BASE_ROWS], eh[KEY_ROWS];
    digits(es, S, BASE_W, BASE_ROWS);
    digits(eh, h, KEY_W, KEY_ROWS);
    const ge_niels *ta = (const ge_niels *)table;
    ge_identity(r);
    for (int i = 0; i < BASE_ROWS; i++) {
        int d = es[i];
        if (d > 0) ge_madd(r, &base_table[i * BASE_PER_ROW + d - 1], 0);
        else if (d < 0) ge_madd(r, &base_table[i * BASE_PER_ROW - d - 1], 1);
    }
    for (int i = 0; i < KEY_ROWS; i++) {
        int d = eh[i];
        if (d > 0) ge_madd(r, &ta[i * KEY_PER_ROW + d - 1], 0);
        else if (d < 0) ge_madd(r, &ta[i * KEY_PER_ROW - d - 1], 1);
    }
    return 1;
}

// 1 when the point with 1/Z = zinv encodes to R (the signature's first 32 bytes).
static int encodes_to(const ge_p3 *p, const fe *zinv, const uint8_t R[32]) {
    fe x, y;
    uint8_t check[32];
    fe_mul(&x, &p->X, zinv);
    fe_mul(&y, &p->Y, zinv);
    fe_tobytes(check, &y);
    check[31] ^= (uint8_t)(fe_isnegative(&x) << 7);
    return memcmp(check, R, 32) == 0;
}

int ced25519_verify(const void *table, const uint8_t signature[64], const uint8_t digest[64]) {
    pthread_once(&init_once, init_constants);
    ge_p3 r;
    if (!verify_point(&r, table, signature, digest)) return 0;
    fe zinv;
    fe_invert(&zinv, &r.Z);
    return encodes_to(&r, &zinv, signature);
}

#define MANY_CHUNK 64

void ced25519_verify_many(const void *const *tables, const uint8_t *signatures, const uint8_t *digests,
                          size_t n, int *results) {
    pthread_once(&init_once, init_constants);
    ge_p3 points[MANY_CHUNK];
    fe prefix[MANY_CHUNK];
    int live[MANY_CHUNK];
    for (size_t base = 0; base < n; base += MANY_CHUNK) {
        const size_t m = n - base < MANY_CHUNK ? n - base : MANY_CHUNK;
        for (size_t k = 0; k < m; k++) {
            const size_t i = base + k;
            live[k] = verify_point(&points[k], tables[i], signatures + 64 * i, digests + 64 * i);
            if (!live[k]) fe_set(&points[k].Z, 1);   // keeps the product of the Z's invertible
        }
        // Montgomery's trick: one inversion for the chunk's m Z's (Z is never 0 on this curve).
        prefix[0] = points[0].Z;
        for (size_t k = 1; k < m; k++) fe_mul(&prefix[k], &prefix[k - 1], &points[k].Z);
        fe inv;
        fe_invert(&inv, &prefix[m - 1]);
        for (size_t k = m; k-- > 0;) {
            fe zinv;
            if (k > 0) {
                fe_mul(&zinv, &inv, &prefix[k - 1]);
                fe_mul(&inv, &inv, &points[k].Z);
            } else {
                zinv = inv;
            }
            const size_t i = base + k;
            results[i] = live[k] && encodes_to(&points[k], &zinv, signatures + 64 * i);
        }
    }
}
