/*
 * photo_probe.c - format sniffing by magic bytes and a header probe for JPEG
 * and PNG: dimensions, components, progressive flag and the EXIF
 * orientation tag, read from untrusted bytes without decoding any pixel and
 * without ever reading past the buffer. The decode gate uses it to refuse
 * decompression bombs before libvips allocates anything.
 */
#include "photo_internal.h"

#include <errno.h>
#include <string.h>

static uint32_t rd_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned rd_be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t rd32(const uint8_t *p, bool be)
{
    return be ? rd_be32(p)
              : ((uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]);
}

static unsigned rd16(const uint8_t *p, bool be)
{
    return be ? rd_be16(p) : ((unsigned)p[1] << 8 | p[0]);
}

enum photo_format photo_sniff(const uint8_t *d, size_t len)
{
    if (len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return PHOTO_FMT_JPEG;
    if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return PHOTO_FMT_PNG;
    if (len >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return PHOTO_FMT_GIF;
    if (len >= 2 && d[0] == 'B' && d[1] == 'M')
        return PHOTO_FMT_BMP;
    if (len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return PHOTO_FMT_WEBP;
    if (len >= 4 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0))
        return PHOTO_FMT_TIFF;
    if (len >= 12 && memcmp(d + 4, "ftyp", 4) == 0 &&
        (memcmp(d + 8, "heic", 4) == 0 || memcmp(d + 8, "heix", 4) == 0 ||
         memcmp(d + 8, "mif1", 4) == 0 || memcmp(d + 8, "msf1", 4) == 0 ||
         memcmp(d + 8, "avif", 4) == 0 || memcmp(d + 8, "hevc", 4) == 0))
        return PHOTO_FMT_HEIF;
    if (len >= 5 && memcmp(d, "%PDF-", 5) == 0)
        return PHOTO_FMT_PDF;
    return PHOTO_FMT_UNKNOWN;
}

/* Reads the Orientation tag (0x0112) of IFD0 from a TIFF structure; 0 when
 * absent or malformed. */
static int probe_tiff_orientation(const uint8_t *t, size_t len)
{
    if (len < 8)
        return 0;
    bool be;
    if (memcmp(t, "II*\0", 4) == 0)
        be = false;
    else if (memcmp(t, "MM\0*", 4) == 0)
        be = true;
    else
        return 0;
    uint32_t ifd = rd32(t + 4, be);
    if (ifd > len || len - ifd < 2)
        return 0;
    unsigned n = rd16(t + ifd, be);
    size_t pos = (size_t)ifd + 2;
    for (unsigned i = 0; i < n; i++, pos += 12) {
        if (len - pos < 12)
            return 0;
        if (rd16(t + pos, be) != 0x0112)
            continue;
        unsigned type = rd16(t + pos + 2, be);
        if (type != 3 || rd32(t + pos + 4, be) != 1)
            return 0;
        unsigned v = rd16(t + pos + 8, be);
        return v >= 1 && v <= 8 ? (int)v : 0;
    }
    return 0;
}

static int probe_jpeg(const uint8_t *d, size_t len, struct photo_probe *p)
{
    size_t pos = 2;
    while (pos < len) {
        if (d[pos] != 0xFF)
            return -EINVAL;
        while (pos < len && d[pos] == 0xFF)
            pos++;
        if (pos >= len)
            return -EINVAL;
        unsigned m = d[pos++];
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD8))
            continue;
        if (m == 0xD9 || m == 0xDA)
            break;
        if (len - pos < 2)
            return -EINVAL;
        unsigned seglen = rd_be16(d + pos);
        if (seglen < 2 || len - pos < seglen)
            return -EINVAL;
        const uint8_t *s = d + pos + 2;
        size_t slen = seglen - 2;
        if (m == 0xE1 && slen >= 6 && memcmp(s, "Exif\0\0", 6) == 0 && p->exif_orientation == 0)
            p->exif_orientation = probe_tiff_orientation(s + 6, slen - 6);
        bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
        if (sof) {
            if (slen < 6)
                return -EINVAL;
            p->height = (int)rd_be16(s + 1);
            p->width = (int)rd_be16(s + 3);
            p->components = s[5];
            p->progressive = m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE;
        }
        pos += seglen;
    }
    /* A zero height (DNL) or missing frame header is refused: we cannot
     * bound the decode. */
    if (p->width <= 0 || p->height <= 0)
        return -EINVAL;
    return 0;
}

static int probe_png(const uint8_t *d, size_t len, struct photo_probe *p)
{
    if (len < 33 || rd_be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0)
        return -EINVAL;
    uint32_t w = rd_be32(d + 16), h = rd_be32(d + 20);
    if (w == 0 || h == 0 || w > 0x7FFFFFFFu || h > 0x7FFFFFFFu)
        return -EINVAL;
    p->width = (int)w;
    p->height = (int)h;
    static const int comps[7] = {1, 0, 3, 1, 2, 0, 4};
    unsigned ct = d[25];
    p->components = ct < 7 ? comps[ct] : 0;
    if (p->components == 0)
        return -EINVAL;
    /* Walk the chunks before the image data for an eXIf orientation. */
    size_t pos = 33;
    while (len - pos >= 12) {
        uint32_t clen = rd_be32(d + pos);
        const uint8_t *type = d + pos + 4;
        if (memcmp(type, "IDAT", 4) == 0 || clen > len - pos - 12)
            break;
        if (memcmp(type, "eXIf", 4) == 0)
            p->exif_orientation = probe_tiff_orientation(d + pos + 8, clen);
        pos += 12 + (size_t)clen;
    }
    return 0;
}

int photo_probe(const uint8_t *data, size_t len, struct photo_probe *p)
{
    memset(p, 0, sizeof(*p));
    p->format = photo_sniff(data, len);
    switch (p->format) {
    case PHOTO_FMT_JPEG:
        return probe_jpeg(data, len, p);
    case PHOTO_FMT_PNG:
        return probe_png(data, len, p);
    default:
        return -EINVAL;
    }
}
