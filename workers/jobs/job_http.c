/*
 * job_http.c - blocking HTTP requests for job handlers over libcurl (see
 * job_http.h). Owns one curl easy handle per client.
 */
#include "job_http.h"
#include "alloc.h"
#include "buf.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct job_http {
    CURL *curl;
    char *user_agent;
};

/* What the callbacks fill while a request runs. */
struct job_http_call {
    struct arena *a;
    struct buf body;
    const char *const *want;
    struct job_http_resp *r;
};

struct job_http *job_http_new(const char *user_agent)
{
    /* Idempotent; not thread-safe, hence thread_init on the main thread. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    struct job_http *h = zk_calloc(1, sizeof(*h));
    h->curl = curl_easy_init();
    if (h->curl == NULL) {
        free(h);
        return NULL;
    }
    h->user_agent = zk_strdup(user_agent);
    return h;
}

void job_http_free(struct job_http *h)
{
    if (h == NULL)
        return;
    curl_easy_cleanup(h->curl);
    free(h->user_agent);
    free(h);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct job_http_call *c = ud;
    size_t len = size * n;
    if (c->body.len + len > JOB_HTTP_MAX_BODY)
        return 0; /* curl fails the transfer */
    buf_append(&c->body, p, len);
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct job_http_call *c = ud;
    size_t len = size * n;
    for (int i = 0; c->want != NULL && c->want[i] != NULL && i < JOB_HTTP_MAX_WANT; i++) {
        size_t nl = strlen(c->want[i]);
        if (len <= nl || p[nl] != ':' || strncasecmp(p, c->want[i], nl) != 0)
            continue;
        const char *v = p + nl + 1;
        size_t vl = len - nl - 1;
        while (vl > 0 && (*v == ' ' || *v == '\t'))
            v++, vl--;
        while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        c->r->values[i] = arena_strndup(c->a, v, vl);
    }
    return len;
}

int job_http_request(struct job_http *h, struct arena *a, const char *method, const char *url,
                     const char *const *headers, const char *body, const char *const *want,
                     struct job_http_resp *r, const char **why)
{
    memset(r, 0, sizeof(*r));
    struct job_http_call call = {.a = a, .want = want, .r = r};
    buf_init(&call.body, a, 1024);
    CURL *c = h->curl;
    curl_easy_reset(c);
    struct curl_slist *list = NULL;
    for (int i = 0; headers != NULL && headers[i] != NULL; i++)
        list = curl_slist_append(list, headers[i]);
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)JOB_HTTP_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &call);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &call);
    curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) {
        *why = arena_printf(a, "%s %s: %s", method, url, curl_easy_strerror(rc));
        return -EIO;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    r->len = call.body.len;
    r->body = call.body.data ? call.body.data : "";
    return 0;
}
