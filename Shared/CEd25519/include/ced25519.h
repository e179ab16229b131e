// Ed25519 signature verification against a per-key precomputed table (CityChain).
//
// A validator verifies every transaction of the same few dozen agency keys, so each key's
// multiples are computed once (52 rows of 16 points, 99,840 bytes) and a verification is then
// ~80 mixed additions and one inversion, without the 252 doublings of a general double-scalar
// multiplication. The result is the same as BoringSSL's ED25519_verify for every input:
//   - S must be below the group order L (so the top three bits of the signature are zero);
//   - the public key decodes as BoringSSL decodes it (y taken mod p from 255 bits, x the square
//     root with the sign bit; an x of 0 with the sign bit set is accepted); no square root fails;
//   - h = SHA-512(R || A || M) mod L, computed by the caller's SHA-512 and reduced here;
//   - the encoding of [S]B - [h]A must equal R's 32 bytes (cofactorless).
// Variable time: it handles public data only (keys, signatures, messages). Never sign with it.
#ifndef CED25519_H
#define CED25519_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Bytes of one key's table (and of the base point's, made once).
#define CED25519_TABLE_BYTES 99840

/// Builds `table` (CED25519_TABLE_BYTES, 8-byte aligned) for `public_key`.
/// Returns 1, or 0 when the key is not a point (every signature by it is invalid).
int ced25519_table_init(void *table, const uint8_t public_key[32]);

/// 1 when `signature` (R || S) is valid for the key whose table is `table` and the message whose
/// SHA-512(R || A || M) is `digest`; 0 otherwise.
int ced25519_verify(const void *table, const uint8_t signature[64], const uint8_t digest[64]);

/// ced25519_verify for n signatures at once, with one field inversion per 64 of them (Montgomery's
/// trick) instead of one each: tables[i] is entry i's key table, signatures + 64 i its R || S,
/// digests + 64 i its SHA-512(R || A || M); results[i] is exactly what ced25519_verify returns.
void ced25519_verify_many(const void *const *tables, const uint8_t *signatures, const uint8_t *digests,
                          size_t n, int *results);

/// h mod L for a 64-byte little-endian h (exposed for tests).
void ced25519_reduce(uint8_t out[32], const uint8_t h[64]);

#ifdef __cplusplus
}
#endif

#endif
