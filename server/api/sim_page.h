/*
 * sim_page.h - what the built-in provider simulators (pay_sim.c, chsi_sim.c)
 * share: the plain HTML page they answer with, and escaping text into it.
 * Never used outside /sim/ (the simulators are refused in production).
 */
#ifndef ZK_SIM_PAGE_H
#define ZK_SIM_PAGE_H

#include "api.h"

/* Answers a whole page: title as <title> and heading, html (already escaped
 * where it holds data) as its body, note as the small print at the foot. */
void sim_page_respond(struct http_request *req, int status, const char *title, const char *html,
                      const char *note);

/* s with <, >, & and " escaped, in the arena. */
const char *sim_html_escape(struct arena *a, const char *s);

#endif
