/*
 * sim_page.c - the simulators' HTML page and escaping (see sim_page.h).
 * Owns nothing past a request.
 */
#include "sim_page.h"

#include <string.h>

const char *sim_html_escape(struct arena *a, const char *s)
{
    struct buf b;
    buf_init(&b, a, strlen(s) + 16);
    for (; *s; s++) {
        switch (*s) {
        case '<':
            buf_puts(&b, "&lt;");
            break;
        case '>':
            buf_puts(&b, "&gt;");
            break;
        case '&':
            buf_puts(&b, "&amp;");
            break;
        case '"':
            buf_puts(&b, "&quot;");
            break;
        default:
            buf_append(&b, s, 1);
        }
    }
    return b.data;
}

void sim_page_respond(struct http_request *req, int status, const char *title, const char *html,
                      const char *note)
{
    char *page = arena_printf(&req->arena,
                              "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                              "<title>%s</title></head><body><h1>%s</h1>%s"
                              "<p><small>%s</small></p></body></html>",
                              title, title, html, note);
    http_respond(req, status, "text/html; charset=utf-8", page, strlen(page));
}
