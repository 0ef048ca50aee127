/*
 * sniff.c - file types by magic bytes (see sniff.h). Owns nothing.
 */
#include "sniff.h"

#include <string.h>

const char *sniff_type(const void *data, size_t len)
{
    const unsigned char *b = data;
    if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return SNIFF_JPEG;
    if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        return SNIFF_PNG;
    if (len >= 5 && memcmp(b, "%PDF-", 5) == 0)
        return SNIFF_PDF;
    if (len >= 4 && (memcmp(b, "PK\x03\x04", 4) == 0 || memcmp(b, "PK\x05\x06", 4) == 0))
        return SNIFF_ZIP;
    return NULL;
}
