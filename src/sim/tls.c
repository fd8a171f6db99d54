/* In-memory CA and server certificate with GnuTLS. */
#include "sim/tls.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "util/xalloc.h"

static char *datum_string(gnutls_datum_t *d)
{
    char *s = xstrndup((const char *)d->data, d->size);
    gnutls_free(d->data);
    return s;
}

static int make_key(gnutls_x509_privkey_t *key)
{
    if (gnutls_x509_privkey_init(key) < 0)
        return -1;
    return gnutls_x509_privkey_generate(*key, GNUTLS_PK_ECDSA,
                                        GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
}

/* expired: valid from two days ago until one hour ago (a client must refuse it). */
static int fill_cert(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *cn,
                     unsigned char serial, bool expired)
{
    unsigned char ser[8];
    if (gnutls_rnd(GNUTLS_RND_NONCE, ser, sizeof ser) < 0)
        return -1;
    ser[0] = (unsigned char)((ser[0] & 0x3f) | 0x40); /* positive, non-zero */
    ser[7] = serial;
    time_t now = time(NULL);
    int rc = 0;
    rc |= gnutls_x509_crt_set_version(crt, 3);
    rc |= gnutls_x509_crt_set_serial(crt, ser, sizeof ser);
    rc |= gnutls_x509_crt_set_activation_time(crt, expired ? now - 2 * 24 * 3600 : now - 3600);
    rc |= gnutls_x509_crt_set_expiration_time(crt, expired ? now - 3600 : now + 365 * 24 * 3600);
    rc |= gnutls_x509_crt_set_key(crt, key);
    rc |= gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "kargo-sim",
                                        strlen("kargo-sim"));
    rc |= gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn));
    return rc < 0 ? -1 : 0;
}

static int tls_generate(struct sim_tls *t, bool expired, char **cause)
{
    memset(t, 0, sizeof *t);
    gnutls_x509_privkey_t ca_key = NULL, key = NULL, ckey = NULL;
    gnutls_x509_crt_t ca = NULL, crt = NULL, ccrt = NULL;
    gnutls_datum_t d;
    int ok = 0;
    static const unsigned char ip[4] = {127, 0, 0, 1};

    if (make_key(&ca_key) < 0 || make_key(&key) < 0 || gnutls_x509_crt_init(&ca) < 0 ||
        gnutls_x509_crt_init(&crt) < 0)
        goto out;
    if (fill_cert(ca, ca_key, "kargo-sim CA (test only)", 1, false) < 0 ||
        gnutls_x509_crt_set_basic_constraints(ca, 1, -1) < 0 ||
        gnutls_x509_crt_set_key_usage(ca, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN |
                                              GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
        gnutls_x509_crt_sign2(ca, ca, ca_key, GNUTLS_DIG_SHA256, 0) < 0)
        goto out;
    if (fill_cert(crt, key, "kargo-sim", 2, expired) < 0 ||
        gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
        gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
        gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                             GNUTLS_FSAN_APPEND) < 0 ||
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, sizeof ip,
                                             GNUTLS_FSAN_APPEND) < 0 ||
        gnutls_x509_crt_sign2(crt, ca, ca_key, GNUTLS_DIG_SHA256, 0) < 0)
        goto out;
    if (make_key(&ckey) < 0 || gnutls_x509_crt_init(&ccrt) < 0 ||
        fill_cert(ccrt, ckey, "viewer", 3, false) < 0 ||
        gnutls_x509_crt_set_basic_constraints(ccrt, 0, -1) < 0 ||
        gnutls_x509_crt_set_key_usage(ccrt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
        gnutls_x509_crt_set_key_purpose_oid(ccrt, GNUTLS_KP_TLS_WWW_CLIENT, 0) < 0 ||
        gnutls_x509_crt_sign2(ccrt, ca, ca_key, GNUTLS_DIG_SHA256, 0) < 0)
        goto out;
    if (gnutls_x509_crt_export2(ccrt, GNUTLS_X509_FMT_PEM, &d) < 0)
        goto out;
    t->client_cert_pem = datum_string(&d);
    if (gnutls_x509_privkey_export2(ckey, GNUTLS_X509_FMT_PEM, &d) < 0)
        goto out;
    t->client_key_pem = datum_string(&d);
    if (gnutls_x509_crt_export2(ca, GNUTLS_X509_FMT_PEM, &d) < 0)
        goto out;
    t->ca_pem = datum_string(&d);
    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) < 0)
        goto out;
    t->cert_pem = datum_string(&d);
    if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) < 0)
        goto out;
    t->key_pem = datum_string(&d);
    ok = 1;
out:
    if (ca != NULL)
        gnutls_x509_crt_deinit(ca);
    if (crt != NULL)
        gnutls_x509_crt_deinit(crt);
    if (ccrt != NULL)
        gnutls_x509_crt_deinit(ccrt);
    if (ckey != NULL)
        gnutls_x509_privkey_deinit(ckey);
    if (ca_key != NULL)
        gnutls_x509_privkey_deinit(ca_key);
    if (key != NULL)
        gnutls_x509_privkey_deinit(key);
    if (!ok) {
        sim_tls_free(t);
        cause_set(cause, "cannot generate the simulator's TLS certificates with GnuTLS");
        return -1;
    }
    return 0;
}

int sim_tls_generate(struct sim_tls *t, char **cause)
{
    return tls_generate(t, false, cause);
}

int sim_tls_generate_expired(struct sim_tls *t, char **cause)
{
    return tls_generate(t, true, cause);
}

void sim_tls_free(struct sim_tls *t)
{
    free(t->ca_pem);
    free(t->cert_pem);
    free(t->client_cert_pem);
    if (t->client_key_pem != NULL)
        memset(t->client_key_pem, 0, strlen(t->client_key_pem));
    free(t->client_key_pem);
    if (t->key_pem != NULL)
        memset(t->key_pem, 0, strlen(t->key_pem));
    free(t->key_pem);
    memset(t, 0, sizeof *t);
}

int sim_tls_random(void *buf, unsigned n)
{
    return gnutls_rnd(GNUTLS_RND_KEY, buf, n) < 0 ? -1 : 0;
}
