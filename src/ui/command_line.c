/* Commands typed after ':'. */
#include "ui/command_line.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const struct {
    const char *name;
    enum command_id id;
    bool arg; /* takes a name */
} commands[] = {
    {"projects", COMMAND_PROJECTS, false},
    {"project", COMMAND_PROJECT, true},
    {"stages", COMMAND_STAGES, false},
    {"pipeline", COMMAND_PIPELINE, false},
    {"freight", COMMAND_FREIGHT, false},
    {"promotions", COMMAND_PROMOTIONS, false},
    {"warehouses", COMMAND_WAREHOUSES, false},
    {"events", COMMAND_EVENTS, false},
    {"ctx", COMMAND_CTX, true},
    {"help", COMMAND_HELP, false},
    {"quit", COMMAND_QUIT, false},
    {"q", COMMAND_QUIT, false},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

const char *command_summary(void)
{
    return "projects, project NAME, stages, pipeline, freight, promotions, warehouses, events, "
           "ctx NAME, help, q";
}

int command_parse(const char *line, struct command *out, char **cause)
{
    memset(out, 0, sizeof *out);
    while (isspace((unsigned char)*line))
        line++;
    size_t len = strcspn(line, " \t");
    const char *rest = line + len;
    while (isspace((unsigned char)*rest))
        rest++;
    size_t rlen = strlen(rest);
    while (rlen > 0 && isspace((unsigned char)rest[rlen - 1]))
        rlen--;
    if (len == 0) {
        cause_set(cause, "type a command: %s", command_summary());
        return -1;
    }
    /* an exact name wins; else a unique prefix; else, among prefixes, the one whose argument
     * fits ("proj NAME" is `project`, "proj" is `projects`) */
    int found = -1, fitting = -1, last = -1;
    size_t matches = 0, n_fitting = 0;
    for (size_t i = 0; i < N_COMMANDS && found < 0; i++) {
        if (strncmp(commands[i].name, line, len) != 0)
            continue;
        if (strlen(commands[i].name) == len)
            found = (int)i;
        matches++;
        last = (int)i;
        if (commands[i].arg == (rlen > 0)) {
            fitting = (int)i;
            n_fitting++;
        }
    }
    if (found < 0 && matches == 0) {
        cause_set(cause, "unknown command '%.*s' (commands: %s)", (int)len, line,
                  command_summary());
        return -1;
    }
    if (found < 0 && matches == 1)
        found = last;
    if (found < 0 && n_fitting != 1) {
        cause_set(cause, "'%.*s' is ambiguous", (int)len, line);
        return -1;
    }
    if (found < 0)
        found = fitting;
    if (commands[found].arg && rlen == 0) {
        cause_set(cause, ":%s needs a name (Tab completes)", commands[found].name);
        return -1;
    }
    if (!commands[found].arg && rlen > 0) {
        cause_set(cause, ":%s takes no argument", commands[found].name);
        return -1;
    }
    out->id = commands[found].id;
    out->arg = commands[found].arg ? xstrndup(rest, rlen) : NULL;
    return 0;
}

size_t command_complete(struct lineedit *le, const struct command_names *names)
{
    const char *text = le->text.buf;
    const char *space = strchr(text, ' ');
    if (space == NULL) {
        const char *cmds[N_COMMANDS];
        for (size_t i = 0; i < N_COMMANDS; i++)
            cmds[i] = commands[i].name;
        return lineedit_complete(le, cmds, N_COMMANDS);
    }
    /* which command the first word names, asked as if it had an argument */
    struct command cmd;
    char *cause = NULL;
    char *probe = xasprintf("%.*s x", (int)(space - text), text);
    int rc = command_parse(probe, &cmd, &cause);
    free(probe);
    free(cause);
    if (rc != 0)
        return 0;
    free(cmd.arg);
    char *const *pool;
    size_t n;
    if (cmd.id == COMMAND_PROJECT) {
        pool = names->projects;
        n = names->n_projects;
    } else if (cmd.id == COMMAND_CTX) {
        pool = names->contexts;
        n = names->n_contexts;
    } else {
        return 0;
    }
    /* candidates carry the command word so the common prefix keeps it */
    size_t prefix = (size_t)(space - text) + 1;
    char **cands = xcalloc(n + 1, sizeof *cands);
    for (size_t i = 0; i < n; i++)
        cands[i] = xasprintf("%.*s%s", (int)prefix, text, pool[i]);
    size_t matches = lineedit_complete(le, (const char *const *)cands, n);
    for (size_t i = 0; i < n; i++)
        free(cands[i]);
    free(cands);
    return matches;
}
