/*
 * pdf_fixtures.h - fixture data for the document tests and the benchmark:
 * one filled struct per template (fictional people, Shanxi wording from the
 * seeds) and the synthetic 480x640 photo in tests/data/photo.jpg.
 */
#ifndef ZK_PDF_FIXTURES_H
#define ZK_PDF_FIXTURES_H

#include "pdf.h"

/* 2024-06-15 10:30:00 Beijing time. */
#define FIXTURE_GENERATED_AT 1718418600
#define FIXTURE_OFFICE       "山西省招生考试管理中心"

/* Reads the fixture photo (malloc'd; caller frees); NULL when unreadable. */
unsigned char *fixture_photo(size_t *len);

void fixture_graduate_form(struct pdf_graduate_form *f, const unsigned char *photo, size_t len);
void fixture_exemption(struct pdf_exemption_detail *e);
void fixture_transfer(struct pdf_transfer_detail *t);
void fixture_receipt(struct pdf_receipt *r);

/* A self-assessment of exactly nchars characters (UTF-8, malloc'd): numbered
 * sentences, so a test can tell any lost or repeated piece. */
char *fixture_long_text(size_t nchars);

#endif
