/*
 * router.c - segment trie for the route table (see router.h).
 *
 * Owns its nodes; the routes themselves are static tables owned by the api
 * modules.
 */
#include "router.h"
#include "alloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { M_GET, M_HEAD, M_POST, M_PUT, M_PATCH, M_DELETE, M_COUNT };
static const char *const router_methods[M_COUNT] = {"GET", "HEAD",  "POST",
                                                    "PUT", "PATCH", "DELETE"};

struct router_node {
    char *segment; /* literal text; NULL for the parameter child */
    size_t len;
    struct router_node **kids;
    int nkids;
    struct router_node *param;
    const struct route *routes[M_COUNT];
    int index[M_COUNT];
};

struct router {
    struct router_node root;
    const struct route **table;
    int count, cap;
    const struct route *fallback;
};

static int method_index(const char *m)
{
    for (int i = 0; i < M_COUNT; i++)
        if (strcmp(m, router_methods[i]) == 0)
            return i;
    return -1;
}

struct router *router_create(void)
{
    return zk_calloc(1, sizeof(struct router));
}

static void node_free(struct router_node *n)
{
    for (int i = 0; i < n->nkids; i++) {
        node_free(n->kids[i]);
        free(n->kids[i]);
    }
    free(n->kids);
    if (n->param) {
        node_free(n->param);
        free(n->param);
    }
    free(n->segment);
}

void router_free(struct router *r)
{
    if (r == NULL)
        return;
    node_free(&r->root);
    free(r->table);
    free(r);
}

static struct router_node *node_child(struct router_node *n, const char *seg, size_t len)
{
    bool is_param = len >= 2 && seg[0] == '{' && seg[len - 1] == '}';
    if (is_param) {
        if (n->param == NULL)
            n->param = zk_calloc(1, sizeof(*n->param));
        return n->param;
    }
    for (int i = 0; i < n->nkids; i++)
        if (n->kids[i]->len == len && memcmp(n->kids[i]->segment, seg, len) == 0)
            return n->kids[i];
    struct router_node *k = zk_calloc(1, sizeof(*k));
    k->segment = zk_strndup(seg, len);
    k->len = len;
    n->kids = zk_realloc(n->kids, sizeof(*n->kids) * (size_t)(n->nkids + 1));
    n->kids[n->nkids++] = k;
    return k;
}

int router_add(struct router *r, const struct route *route, char *err, size_t errsz)
{
    int m = method_index(route->method);
    const char *p = route->pattern;
    if (m < 0 || m == M_HEAD) {
        snprintf(err, errsz, "%s %s: unsupported method", route->method, p);
        return -EINVAL;
    }
    if (p[0] != '/') {
        snprintf(err, errsz, "%s %s: pattern must start with '/'", route->method, p);
        return -EINVAL;
    }
    struct router_node *n = &r->root;
    int nparams = 0;
    if (strcmp(p, "/") != 0) {
        const char *s = p + 1;
        for (;;) {
            const char *slash = strchr(s, '/');
            size_t len = slash ? (size_t)(slash - s) : strlen(s);
            if (len == 0) {
                snprintf(err, errsz, "%s %s: empty path segment", route->method, p);
                return -EINVAL;
            }
            if (s[0] == '{' && ++nparams > HTTP_MAX_PARAMS) {
                snprintf(err, errsz, "%s %s: too many parameters", route->method, p);
                return -EINVAL;
            }
            if ((s[0] == '{') != (s[len - 1] == '}')) {
                snprintf(err, errsz, "%s %s: malformed parameter", route->method, p);
                return -EINVAL;
            }
            n = node_child(n, s, len);
            if (slash == NULL)
                break;
            s = slash + 1;
        }
    }
    if (n->routes[m] != NULL) {
        snprintf(err, errsz, "%s %s: duplicate of %s", route->method, p, n->routes[m]->pattern);
        return -EEXIST;
    }
    if (r->count == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->table = zk_realloc(r->table, sizeof(*r->table) * (size_t)r->cap);
    }
    n->routes[m] = route;
    n->index[m] = r->count;
    r->table[r->count++] = route;
    return 0;
}

void router_set_fallback(struct router *r, const struct route *route)
{
    r->fallback = route;
}

const struct route *router_fallback(const struct router *r)
{
    return r->fallback;
}

/* True when the first segment of path (after its '/') is the literal first
 * segment of some pattern: the path lies in the table's namespace. */
static bool router_owns_prefix(const struct router *r, const char *path)
{
    const char *s = path + 1;
    const char *slash = strchr(s, '/');
    size_t len = slash ? (size_t)(slash - s) : strlen(s);
    for (int i = 0; i < r->root.nkids; i++)
        if (r->root.kids[i]->len == len && memcmp(r->root.kids[i]->segment, s, len) == 0)
            return true;
    return r->root.param != NULL && len > 0;
}

/* Matches the segments from s on; fills m->params; returns the end node. */
static const struct router_node *node_match(const struct router_node *n, const char *s,
                                            struct router_match *m)
{
    if (*s == '\0')
        return n;
    const char *slash = strchr(s, '/');
    size_t len = slash ? (size_t)(slash - s) : strlen(s);
    const char *rest = slash ? slash + 1 : s + len;
    if (slash != NULL && *rest == '\0')
        return NULL; /* trailing slash: no route has one */
    for (int i = 0; i < n->nkids; i++) {
        const struct router_node *k = n->kids[i];
        if (k->len == len && memcmp(k->segment, s, len) == 0) {
            const struct router_node *end = node_match(k, rest, m);
            if (end != NULL)
                return end;
            break;
        }
    }
    if (n->param != NULL && len > 0 && m->nparams < HTTP_MAX_PARAMS) {
        int saved = m->nparams;
        m->params[m->nparams].p = s;
        m->params[m->nparams].len = len;
        m->nparams++;
        const struct router_node *end = node_match(n->param, rest, m);
        if (end != NULL)
            return end;
        m->nparams = saved;
    }
    return NULL;
}

static bool node_has_routes(const struct router_node *n)
{
    for (int i = 0; i < M_COUNT; i++)
        if (n->routes[i] != NULL)
            return true;
    return false;
}

enum router_result router_match(const struct router *r, const char *method, const char *path,
                                struct router_match *m)
{
    m->route = NULL;
    m->index = -1;
    m->nparams = 0;
    m->allow[0] = '\0';
    if (path[0] != '/')
        return ROUTER_NOT_FOUND;
    const struct router_node *n = node_match(&r->root, path + 1, m);
    if (n == NULL || !node_has_routes(n)) {
        m->nparams = 0;
        if (r->fallback == NULL || router_owns_prefix(r, path))
            return ROUTER_NOT_FOUND;
        m->route = r->fallback;
        m->index = r->count;
        return ROUTER_FOUND;
    }
    int mi = method_index(method);
    if (mi == M_HEAD && n->routes[M_HEAD] == NULL)
        mi = M_GET;
    if (mi >= 0 && n->routes[mi] != NULL) {
        m->route = n->routes[mi];
        m->index = n->index[mi];
        return ROUTER_FOUND;
    }
    size_t off = 0;
    for (int i = 0; i < M_COUNT; i++) {
        bool has = n->routes[i] != NULL || (i == M_HEAD && n->routes[M_GET] != NULL);
        if (!has)
            continue;
        int w = snprintf(m->allow + off, sizeof(m->allow) - off, "%s%s", off ? ", " : "",
                         router_methods[i]);
        if (w > 0 && (size_t)w < sizeof(m->allow) - off)
            off += (size_t)w;
    }
    return ROUTER_METHOD_NOT_ALLOWED;
}

int router_count(const struct router *r)
{
    return r->count;
}

const struct route *router_get(const struct router *r, int index)
{
    return index >= 0 && index < r->count ? r->table[index] : NULL;
}
