/* The `:` command line: the table of commands, parsing what was typed, and Tab completion of
 * command names and project names. Pure logic; the screen runs the command. */
#ifndef KT_UI_COMMAND_LINE_H
#define KT_UI_COMMAND_LINE_H

#include <stddef.h>

#include "ui/lineedit.h"

enum command_id {
    COMMAND_PROJECTS,
    COMMAND_PROJECT,
    COMMAND_STAGES,
    COMMAND_PIPELINE,
    COMMAND_FREIGHT,
    COMMAND_PROMOTIONS,
    COMMAND_WAREHOUSES,
    COMMAND_EVENTS,
    COMMAND_CTX,
    COMMAND_HELP,
    COMMAND_QUIT,
};

struct command {
    enum command_id id;
    char *arg; /* the argument (project or context name), or NULL */
};

/* Parses a command line ("project backstage-kargo", "q"); a unique prefix of a command name is
 * enough. Returns 0 (free out->arg), or -1 with *cause set ("unknown command 'x'"). */
int command_parse(const char *line, struct command *out, char **cause);
/* What command arguments complete from. */
struct command_names {
    char *const *projects;
    size_t n_projects;
    char *const *contexts;
    size_t n_contexts;
};
/* Tab: completes the command name, or its argument (a project after "project ", a context
 * after "ctx "). Returns how many candidates match. */
size_t command_complete(struct lineedit *le, const struct command_names *names);
/* The command names, for help: "projects, project NAME, ...". */
const char *command_summary(void);

#endif
