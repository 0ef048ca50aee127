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

/* The size to display a captcha at, in CSS pixels. */
#define CAPTCHA_CSS_WIDTH  130
#define CAPTCHA_CSS_HEIGHT 44
/* Pixels per CSS pixel in the PNG: twice, for high-density screens. */
#define CAPTCHA_SCALE 2
/* The PNG's size in pixels. */
#define CAPTCHA_WIDTH  (CAPTCHA_CSS_WIDTH * CAPTCHA_SCALE)
#define CAPTCHA_HEIGHT (CAPTCHA_CSS_HEIGHT * CAPTCHA_SCALE)

/* Writes a random answer of 4 or 5 characters (NUL-terminated) into out. */
void captcha_answer(char out[CAPTCHA_MAX + 1]);

/*
 * Draws answer as a distorted CAPTCHA_WIDTH x CAPTCHA_HEIGHT PNG (each glyph
 * rotated, shifted and scaled, and wholly inside the picture; crossing curves
 * and specks), deterministic for a given seed.
 * *png is malloc'd (caller frees). Returns 0 or -ENOMEM/-EIO.
 */
int captcha_render(const char *answer, uint32_t seed, unsigned char **png, size_t *len);

/*
 * The ink of glyph index of answer alone, exactly as captcha_render places it
 * for seed: CAPTCHA_WIDTH x CAPTCHA_HEIGHT coverage bytes (0 = no ink), row
 * by row, written to ink. For tests. Returns 0, -EINVAL (no such glyph) or
 * -EIO.
 */
int captcha_glyph_ink(const char *answer, uint32_t seed, size_t index, unsigned char *ink);

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
