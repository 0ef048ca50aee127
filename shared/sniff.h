/*
 * sniff.h - what a file is, from its first bytes (never its name or the
 * Content-Type a client declared): the few types zikao stores or accepts
 * inside an archive.
 */
#ifndef ZK_SNIFF_H
#define ZK_SNIFF_H

#include <stddef.h>

#define SNIFF_JPEG "image/jpeg"
#define SNIFF_PNG  "image/png"
#define SNIFF_PDF  "application/pdf"
#define SNIFF_ZIP  "application/zip"

/*
 * The MIME type of data[0..len) by magic bytes: SNIFF_JPEG (FF D8 FF),
 * SNIFF_PNG (the 8-byte signature), SNIFF_PDF ("%PDF-"), SNIFF_ZIP (a local
 * file header "PK\3\4", or "PK\5\6": an empty archive); NULL for anything
 * else. The result is one of the macros' static strings. Pure.
 */
const char *sniff_type(const void *data, size_t len);

#endif
