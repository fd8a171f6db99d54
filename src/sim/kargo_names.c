/* Generated names, matching pkg/api (promotion.go, freight.go) and the ULID spec. */
#include "sim/kargo_names.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

void kargo_rng_seed(struct kargo_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t kargo_rng_next(struct kargo_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* 10 characters of time (48 bits), then 16 of the 80-bit random part (hi: top 16 bits). */
static void ulid_encode(int64_t ms, uint64_t hi, uint64_t lo, char *out)
{
    static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";
    uint64_t t = (uint64_t)ms;
    for (int i = 9; i >= 0; i--) {
        out[i] = crockford[t & 31];
        t >>= 5;
    }
    for (int i = 25; i >= 10; i--) {
        out[i] = crockford[lo & 31];
        lo = (lo >> 5) | ((hi & 31) << 59);
        hi >>= 5;
    }
    out[KARGO_ULID_LEN] = '\0';
}

void kargo_ulid(int64_t ms, struct kargo_rng *r, char *out)
{
    ulid_encode(ms, kargo_rng_next(r) & 0xffff, kargo_rng_next(r), out);
}

void kargo_ulid_monotonic(struct kargo_ulid_state *st, int64_t ms, struct kargo_rng *r, char *out)
{
    if (ms <= st->ms) {
        if (++st->lo == 0)
            st->hi = (st->hi + 1) & 0xffff;
    } else {
        st->ms = ms;
        st->hi = kargo_rng_next(r) & 0x7fff; /* room to count up without overflow */
        st->lo = kargo_rng_next(r);
    }
    ulid_encode(st->ms, st->hi, st->lo, out);
}

void kargo_uuid(struct kargo_rng *r, char *out)
{
    unsigned char b[16];
    uint64_t a = kargo_rng_next(r), c = kargo_rng_next(r);
    memcpy(b, &a, 8);
    memcpy(b + 8, &c, 8);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

void kargo_sha1_hex(const char *data, size_t len, char *out)
{
    unsigned char d[20];
    static const char hex[] = "0123456789abcdef";
    gnutls_hash_fast(GNUTLS_DIG_SHA1, data, len, d);
    for (int i = 0; i < 20; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[40] = '\0';
}

char *kargo_promotion_name(const char *stage, const char *ulid, const char *freight)
{
    /* 253 - len(".<ulid>.<7>") leaves 218 for the stage, trailing '.'/'-' trimmed. */
    size_t sl = strlen(stage);
    if (sl > 218)
        sl = 218;
    while (sl > 0 && (stage[sl - 1] == '.' || stage[sl - 1] == '-'))
        sl--;
    char *s = xasprintf("%.*s.%s.%.7s", (int)sl, stage, ulid, freight);
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Kargo normalises repository URLs before hashing so that equivalent spellings hash alike. */
static char *normalize_url(const char *url, bool git)
{
    char *s = xstrdup(url);
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
    if (git && n > 4 && strcmp(s + n - 4, ".git") == 0)
        s[n - 4] = '\0';
    return s;
}

int kargo_freight_id(const cJSON *freight, char *out, char **cause)
{
    const cJSON *origin = cJSON_GetObjectItemCaseSensitive(freight, "origin");
    const cJSON *okind = cJSON_GetObjectItemCaseSensitive(origin, "kind");
    const cJSON *oname = cJSON_GetObjectItemCaseSensitive(origin, "name");
    if (!cJSON_IsString(okind) || !cJSON_IsString(oname)) {
        cause_set(cause, "Freight has no origin");
        return -1;
    }
    char **parts = NULL;
    size_t n = 0, cap = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(freight, "commits"))
    {
        const char *u = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "repoURL"));
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id"));
        const char *tag = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "tag"));
        char *nu = normalize_url(u ? u : "", true);
        parts = xreallocarray_grow(parts, &cap, n + 1, sizeof(*parts));
        parts[n++] = tag && *tag ? xasprintf("%s:%s:%s", nu, tag, id ? id : "")
                                 : xasprintf("%s:%s", nu, id ? id : "");
        free(nu);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(freight, "images"))
    {
        const char *u = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "repoURL"));
        const char *tag = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "tag"));
        const char *dg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "digest"));
        parts = xreallocarray_grow(parts, &cap, n + 1, sizeof(*parts));
        parts[n++] = xasprintf("%s:%s@%s", u ? u : "", tag ? tag : "", dg ? dg : "");
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(freight, "charts"))
    {
        const char *u = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "repoURL"));
        const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name"));
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "version"));
        char *nu = normalize_url(u ? u : "", false);
        parts = xreallocarray_grow(parts, &cap, n + 1, sizeof(*parts));
        parts[n++] = xasprintf("%s/%s:%s", nu, nm ? nm : "", v ? v : "");
        free(nu);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(freight, "artifacts"))
    {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "artifactType"));
        const char *s =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "subscriptionName"));
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "version"));
        parts = xreallocarray_grow(parts, &cap, n + 1, sizeof(*parts));
        parts[n++] = xasprintf("%s:%s:%s", t ? t : "", s ? s : "", v ? v : "");
    }
    if (n == 0) {
        cause_set(cause, "Freight must contain at least one commit, image, chart, or artifact");
        free(parts);
        return -1;
    }
    qsort(parts, n, sizeof(*parts), cmp_str);
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "%s/%s:", okind->valuestring, oname->valuestring);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strbuf_append_char(&sb, '|');
        strbuf_append(&sb, parts[i]);
        free(parts[i]);
    }
    free(parts);
    kargo_sha1_hex(sb.buf, sb.len, out);
    strbuf_free(&sb);
    return 0;
}

void kargo_collection_id(const char **names, size_t n, char *out)
{
    const char **s = xmalloc((n ? n : 1) * sizeof(*s));
    memcpy(s, names, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_str);
    struct strbuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strbuf_append_char(&sb, ',');
        strbuf_append(&sb, s[i]);
    }
    free(s);
    kargo_sha1_hex(sb.buf, sb.len, out);
    strbuf_free(&sb);
}

static const char *const adjectives[] = {
    "agile",  "ample",  "bold",   "brave", "bright", "brisk",  "calm",   "clever", "cosmic",
    "crisp",  "daring", "eager",  "early", "fancy",  "fuzzy",  "gentle", "giddy",  "golden",
    "hazy",   "icy",    "jolly",  "keen",  "kind",   "lively", "lucky",  "mellow", "mighty",
    "mortal", "neat",   "noble",  "odd",   "proud",  "quick",  "quiet",  "rapid",  "rusty",
    "shy",    "silver", "steady", "sunny", "tidy",   "tiny",   "upbeat", "vivid",  "wild",
    "witty",  "wonky",  "young",  "zesty", "zippy",
};
static const char *const animals[] = {
    "ant",    "badger", "beetle", "bison",   "camel",  "crane",  "dingo",      "dragonfly",
    "egret",  "falcon", "ferret", "finch",   "gecko",  "gnu",    "heron",      "ibis",
    "jaguar", "koala",  "lemur",  "llama",   "lynx",   "marmot", "mole",       "newt",
    "orca",   "otter",  "panda",  "pelican", "puffin", "quail",  "raven",      "salmon",
    "seal",   "stork",  "tapir",  "toad",    "urchin", "viper",  "walrus",     "wasp",
    "wombat", "yak",    "zebra",  "osprey",  "bobcat", "hornet", "kingfisher", "narwhal",
};

char *kargo_alias(struct kargo_rng *r, bool (*taken)(void *ctx, const char *alias), void *ctx)
{
    size_t na = sizeof(adjectives) / sizeof(*adjectives);
    size_t nb = sizeof(animals) / sizeof(*animals);
    for (unsigned attempt = 0;; attempt++) {
        uint64_t v = kargo_rng_next(r);
        char *a = attempt < 64
                      ? xasprintf("%s-%s", adjectives[v % na], animals[(v >> 32) % nb])
                      : xasprintf("%s-%s-%u", adjectives[v % na], animals[(v >> 32) % nb], attempt);
        if (taken == NULL || !taken(ctx, a))
            return a;
        free(a);
    }
}
