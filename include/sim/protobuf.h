/* The protobuf bodies the simulated cluster reads: kubectl's typed clients send core and
 * authorization objects as application/vnd.kubernetes.protobuf ("kubectl auth can-i" a
 * SelfSubjectAccessReview, "kubectl create namespace" a Namespace) in a runtime.Unknown envelope.
 */
#ifndef KT_SIM_PROTOBUF_H
#define KT_SIM_PROTOBUF_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Decodes a SelfSubjectAccessReview into its JSON form ({"spec": {"resourceAttributes": ...}}).
 * Returns NULL with *cause on malformed input. */
cJSON *sim_protobuf_ssar(const unsigned char *data, size_t len, char **cause);

/* Decodes a SelfSubjectRulesReview ({"spec": {"namespace": ...}}); NULL with *cause on malformed
 * input. */
cJSON *sim_protobuf_ssrr(const unsigned char *data, size_t len, char **cause);

/* Decodes a Namespace (metadata name, generateName, labels, annotations) into its JSON form.
 * Returns NULL with *cause on malformed input. */
cJSON *sim_protobuf_namespace(const unsigned char *data, size_t len, char **cause);

#endif
