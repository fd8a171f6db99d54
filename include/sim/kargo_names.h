/* The names Kargo generates: ULIDs, Promotion and Freight names, freight-collection ids, aliases.
 */
#ifndef KT_SIM_KARGO_NAMES_H
#define KT_SIM_KARGO_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* A small deterministic generator (splitmix64), so a seeded simulation repeats exactly. */
struct kargo_rng {
    uint64_t state;
};

void kargo_rng_seed(struct kargo_rng *r, uint64_t seed);
uint64_t kargo_rng_next(struct kargo_rng *r);

#define KARGO_ULID_LEN 26
/* A lowercase ULID for Unix time ms into out (KARGO_ULID_LEN + 1 bytes). Later ms sort later. */
void kargo_ulid(int64_t ms, struct kargo_rng *r, char *out);
/* ULIDs that keep increasing within one millisecond too (the spec's monotonic mode), so names
 * made at the same simulated instant still sort in creation order. */
struct kargo_ulid_state {
    int64_t ms;
    uint64_t hi; /* 16 bits used */
    uint64_t lo; /* 64 bits */
};
void kargo_ulid_monotonic(struct kargo_ulid_state *st, int64_t ms, struct kargo_rng *r, char *out);
/* A random (version 4) UUID, 36 characters plus NUL. */
void kargo_uuid(struct kargo_rng *r, char *out);
/* Lowercase hex SHA-1 of data (41 bytes with NUL). */
void kargo_sha1_hex(const char *data, size_t len, char *out);
/* "<stage>.<ulid>.<freight[0:7]>", lowercase, stage truncated as GeneratePromotionName does.
 * The caller frees the result. */
char *kargo_promotion_name(const char *stage, const char *ulid, const char *freight);
/* The content-hash name of a Freight object (origin and artifacts), or NULL with *cause set when
 * it has no origin or no artifact. out: 41 bytes. */
int kargo_freight_id(const cJSON *freight, char *out, char **cause);
/* sha1 of the sorted names joined by ",": the id of a freight collection. out: 41 bytes. */
void kargo_collection_id(const char **names, size_t n, char *out);
/* An "<adjective>-<animal>" alias for which taken(ctx, alias) is false. The caller frees it. */
char *kargo_alias(struct kargo_rng *r, bool (*taken)(void *ctx, const char *alias), void *ctx);

#endif
