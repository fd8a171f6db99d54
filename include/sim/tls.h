/* The TLS material of one run: a throwaway ECDSA P-256 CA and a server certificate for 127.0.0.1
 * and localhost, made in memory at start and never written anywhere but a kubeconfig's CA. */
#ifndef KT_SIM_TLS_H
#define KT_SIM_TLS_H

struct sim_tls {
    char *ca_pem;   /* CA certificate */
    char *cert_pem; /* server certificate, signed by the CA */
    char *key_pem;  /* server private key */
    /* A client certificate (CN "viewer", O "kargo-sim") and its key, signed by the CA, for
     * kubeconfig users that authenticate with client-certificate-data. */
    char *client_cert_pem;
    char *client_key_pem;
};

/* Returns 0, or -1 with *cause set. */
int sim_tls_generate(struct sim_tls *t, char **cause);
/* The same with a server certificate that expired an hour ago (tests of the client's refusal). */
int sim_tls_generate_expired(struct sim_tls *t, char **cause);
void sim_tls_free(struct sim_tls *t);
/* Fills buf with n random bytes from GnuTLS's generator (for tokens). */
int sim_tls_random(void *buf, unsigned n);

#endif
