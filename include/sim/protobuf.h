/* The one protobuf body the simulated cluster reads: kubectl sends SelfSubjectAccessReview
 * ("kubectl auth can-i") as application/vnd.kubernetes.protobuf, a runtime.Unknown envelope. */
#ifndef KT_SIM_PROTOBUF_H
#define KT_SIM_PROTOBUF_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Decodes a SelfSubjectAccessReview into its JSON form ({"spec": {"resourceAttributes": ...}}).
 * Returns NULL with *cause on malformed input. */
cJSON *sim_protobuf_ssar(const unsigned char *data, size_t len, char **cause);

#endif
