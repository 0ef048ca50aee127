/*
 * log.c - priority-prefixed line logger on stderr (see log.h).
 *
 * Owns the process's log threshold and component name; both belong to the
 * per-process context and change only at start-up and on SIGHUP.
 */
#include "log.h"
#include "mask.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static struct {
    int level;
    char component[32];
} log_state = {LOG_LEVEL_INFO, "zikao"};

void log_init(const char *component, int level)
{
    snprintf(log_state.component, sizeof(log_state.component), "%s", component);
    log_state.level = level;
}

void log_set_level(int level)
{
    log_state.level = level;
}

int log_get_level(void)
{
    return log_state.level;
}

int log_level_parse(const char *name)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {
        {"err", LOG_LEVEL_ERR},      {"error", LOG_LEVEL_ERR},     {"warning", LOG_LEVEL_WARNING},
        {"warn", LOG_LEVEL_WARNING}, {"notice", LOG_LEVEL_NOTICE}, {"info", LOG_LEVEL_INFO},
        {"debug", LOG_LEVEL_DEBUG},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i].name) == 0)
            return names[i].level;
    return -1;
}

void log_msg(int level, const char *req_id, const char *fmt, ...)
{
    char line[2048];
    if (level > log_state.level)
        return;
    int n;
    if (req_id != NULL)
        n = snprintf(line, sizeof(line), "<%d>%s: req=%s ", level, log_state.component, req_id);
    else
        n = snprintf(line, sizeof(line), "<%d>%s: ", level, log_state.component);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len] = '\0';
    /* Newlines inside a message would split it into lines with no priority. */
    for (size_t i = (size_t)n; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    mask_digit_runs(line + n);
    line[len++] = '\n';
    /* One write per line keeps lines whole when processes share stderr. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
