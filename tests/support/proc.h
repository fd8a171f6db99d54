/* Runs a program to completion with captured stdout and stderr, for command-line tests. */
#ifndef KT_TEST_PROC_H
#define KT_TEST_PROC_H

struct proc_result {
    char *out;  /* all of stdout, NUL-terminated */
    char *err;  /* all of stderr */
    int status; /* exit code, or 128 + signal, or -1 on timeout */
};

/* Runs argv with stdin from /dev/null; env adds NAME=VALUE strings (NULL-terminated, may be NULL).
 * Kills it after timeout_ms. Returns 0, or -1 if it could not be started. */
int proc_run(char *const argv[], char *const env[], int timeout_ms, struct proc_result *r);
void proc_result_free(struct proc_result *r);

#endif
