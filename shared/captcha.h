/*
 * captcha.h - picture captchas: an answer of 4-5 characters and its image.
 *
 * The alphabet leaves out characters people confuse (0/O, 1/I/l, 2/Z, 5/S,
 * 8/B); answers are compared case-insensitively. Rendering is CPU work: the
 * server runs it on the thread pool, never on the loop.
 */
#ifndef ZK_CAPTCHA_H
#define ZK_CAPTCHA_H

#include <stddef.h>
#include <stdint.h>

#define CAPTCHA_MAX 5

/* Writes a random answer of 4 or 5 characters (NUL-terminated) into out. */
void captcha_answer(char out[CAPTCHA_MAX + 1]);

/*
 * Draws answer as a distorted 130x44 PNG (each glyph rotated, shifted and
 * scaled; crossing curves and specks), deterministic for a given seed.
 * *png is malloc'd (caller frees). Returns 0 or -ENOMEM/-EIO.
 */
int captcha_render(const char *answer, uint32_t seed, unsigned char **png, size_t *len);

/* Upper-cases an answer typed by a person into out (CAPTCHA_MAX + 1 bytes);
 * returns -1 when it cannot be an answer (wrong length or characters). */
int captcha_normalise(const char *typed, char out[CAPTCHA_MAX + 1]);

/*
 * Releases cairo's and fontconfig's process-wide caches (filled by the first
 * render). Call once at exit, when no render can be running, so that leak
 * checkers see a clean process.
 */
void captcha_shutdown(void);

#endif
