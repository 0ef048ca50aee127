/*
 * zipcheck.c - the ZIP check of an application's attachment (see
 * zipcheck.h). Owns nothing past a call: the archive handle, the iconv
 * descriptor and the thread's locale switch live and die inside
 * zipcheck_run; the result's entries belong to the caller.
 */
#include "zipcheck.h"
#include "sniff.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZIPCHECK_BLOCK 65536

/* ---- names -------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (s[0] >= 0xe0 && s[0] <= 0xef) {
        unsigned char lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        unsigned char lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_seq(p);
        if (n == 0)
            return false;
        p += n;
    }
    return true;
}

/* Copies valid UTF-8 src into out, cut at a character boundary to fit. */
static void utf8_copy(const char *src, char *out, size_t outsz)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t o = 0;
    while (*p) {
        size_t n = utf8_seq(p);
        if (n == 0 || o + n >= outsz)
            break;
        memcpy(out + o, p, n);
        o += n;
        p += n;
    }
    out[o] = '\0';
}

/* raw with bytes above 0x7F as \xNN (printable, never mistaken for text). */
static void escape_bytes(const char *raw, char *out, size_t outsz)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)raw; *p && o + 5 < outsz; p++)
        o += (size_t)(*p < 0x80 ? snprintf(out + o, outsz - o, "%c", *p)
                                : snprintf(out + o, outsz - o, "\\x%02X", *p));
    out[o] = '\0';
}

int zipcheck_name_utf8(const char *raw, char *out, size_t outsz)
{
    if (utf8_valid(raw)) {
        utf8_copy(raw, out, outsz);
        return 0;
    }
    int rc = -EILSEQ;
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    size_t inlen = strlen(raw), cap = inlen * 4 + 1;
    char *buf = malloc(cap);
    if (cd != (iconv_t)-1 && buf != NULL) {
        char *in = (char *)raw, *o = buf;
        size_t left = cap - 1;
        if (iconv(cd, &in, &inlen, &o, &left) != (size_t)-1 && inlen == 0) {
            *o = '\0';
            if (utf8_valid(buf)) {
                utf8_copy(buf, out, outsz);
                rc = 1;
            }
        }
    }
    if (cd != (iconv_t)-1)
        iconv_close(cd);
    free(buf);
    if (rc < 0)
        escape_bytes(raw, out, outsz);
    return rc;
}

char *zipcheck_size_words(int64_t bytes, char *out, size_t outsz)
{
    if (bytes >= 1048576 && bytes % 1048576 == 0)
        snprintf(out, outsz, "%" PRId64 " MB", bytes / 1048576);
    else if (bytes >= 1024 && bytes % 1024 == 0)
        snprintf(out, outsz, "%" PRId64 " KB", bytes / 1024);
    else
        snprintf(out, outsz, "%" PRId64 " 字节", bytes);
    return out;
}

/* ---- the verdict -------------------------------------------------------------------------- */

/* Refuses by rule about entry (may be "") with a printf-style sentence. */
__attribute__((format(printf, 4, 5))) static void
refuse(struct zipcheck_result *res, const char *rule, const char *entry, const char *fmt, ...)
{
    res->accepted = false;
    res->rule = rule;
    snprintf(res->entry, sizeof(res->entry), "%s", entry);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
    va_end(ap);
}

/* True when a path leaves the archive: absolute, a drive letter, or "..". */
static bool path_escapes(const char *name)
{
    if (name[0] == '/' || name[0] == '\\')
        return true;
    if (((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z') && name[1] == ':')
        return true;
    const char *p = name;
    while (*p) {
        size_t n = strcspn(p, "/\\");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += n;
        if (*p)
            p++;
    }
    return false;
}

static bool path_absolute(const char *name)
{
    return name[0] == '/' || name[0] == '\\' ||
           (((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z') && name[1] == ':');
}

/* ---- reading ------------------------------------------------------------------------------ */

struct zipcheck_run {
    struct archive *a;
    const struct zipcheck_limits *lim;
    struct zipcheck_result *res;
    char name[ZIPCHECK_NAME_MAX];
    unsigned char *block;
};

/*
 * Reads the current regular entry through: its type by its first bytes,
 * its inflated size against the limits while reading, its ratio at the end.
 * Returns 0 (res says whether it passed) or a negative errno.
 */
static int read_entry(struct zipcheck_run *z)
{
    const struct zipcheck_limits *lim = z->lim;
    struct zipcheck_result *res = z->res;
    char w1[32], w2[32];
    int64_t start = archive_filter_bytes(z->a, -1), size = 0;
    const char *type = NULL;
    for (;;) {
        la_ssize_t n = archive_read_data(z->a, z->block, ZIPCHECK_BLOCK);
        if (n == 0)
            break;
        if (n < 0) {
            refuse(res, "corrupt", z->name,
                   "压缩包中的“%s”无法读取（%s），压缩包可能已损坏，请重新打包后上传", z->name,
                   archive_error_string(z->a) ? archive_error_string(z->a) : "读取出错");
            return 0;
        }
        if (size == 0) {
            type = sniff_type(z->block, (size_t)n);
            if (type == NULL || strcmp(type, SNIFF_ZIP) == 0) {
                refuse(res, "type", z->name,
                       "压缩包中的“%s”不是 JPG、PNG 或 PDF 文件（按文件内容识别，与扩展名无关），"
                       "请只放入成绩卡片的扫描件后重新打包上传",
                       z->name);
                return 0;
            }
        }
        size += n;
        if (size > lim->max_entry_bytes) {
            refuse(res, "entry_size", z->name,
                   "压缩包中的“%s”解压后超过 %s，请降低扫描分辨率或压缩图片后重新打包上传", z->name,
                   zipcheck_size_words(lim->max_entry_bytes, w1, sizeof(w1)));
            return 0;
        }
        if (res->total_bytes + size > lim->max_total_bytes) {
            refuse(res, "total_size", z->name,
                   "压缩包解压后的总大小超过 %s（读到“%s”时），请降低扫描分辨率或删去无关文件后"
                   "重新打包上传",
                   zipcheck_size_words(lim->max_total_bytes, w1, sizeof(w1)), z->name);
            return 0;
        }
    }
    if (size == 0) {
        refuse(res, "type", z->name,
               "压缩包中的“%s”是空文件，请只放入成绩卡片的扫描件后重新打包上传", z->name);
        return 0;
    }
    int64_t packed = archive_filter_bytes(z->a, -1) - start;
    if (packed < 1)
        packed = 1;
    if (size > packed * lim->max_ratio) {
        refuse(res, "ratio", z->name,
               "压缩包中的“%s”压缩比超过 %" PRId64 ":1（%s 压缩后只有 %s），不像扫描件，可能是"
               "异常文件；请检查后只放入扫描件重新打包上传",
               z->name, lim->max_ratio, zipcheck_size_words(size, w1, sizeof(w1)),
               zipcheck_size_words(packed, w2, sizeof(w2)));
        return 0;
    }
    res->total_bytes += size;
    res->files++;
    json_t *e =
        json_pack("{s:s, s:I, s:s}", "name", z->name, "size", (json_int_t)size, "type", type);
    if (e == NULL || json_array_append_new(res->entries, e) < 0)
        return -ENOMEM;
    return 0;
}

/* Checks one entry's header; reads it if it is a file. 0, or a negative errno. */
static int check_entry(struct zipcheck_run *z, struct archive_entry *e, int64_t index)
{
    const struct zipcheck_limits *lim = z->lim;
    struct zipcheck_result *res = z->res;
    const char *raw = archive_entry_pathname(e);
    if (raw == NULL || raw[0] == '\0' || zipcheck_name_utf8(raw, z->name, sizeof(z->name)) < 0) {
        if (raw == NULL || raw[0] == '\0')
            snprintf(z->name, sizeof(z->name), "第 %" PRId64 " 个文件", index);
        refuse(res, "name", z->name,
               "压缩包中的文件名“%s”无法识别（既不是 UTF-8 也不是 GBK 编码），请把文件改为简单的"
               "名称后重新打包上传",
               z->name);
        return 0;
    }
    if (index > lim->max_entries) {
        refuse(res, "entries", z->name,
               "压缩包中的文件和文件夹超过 %" PRId64 " 个（到“%s”为止），请只放入需要的扫描件后"
               "重新打包上传",
               lim->max_entries, z->name);
        return 0;
    }
    if (archive_entry_is_encrypted(e)) {
        refuse(res, "encrypted", z->name,
               "压缩包中的“%s”设置了密码，无法查看，请不加密码重新打包后上传", z->name);
        return 0;
    }
    if (path_absolute(z->name)) {
        refuse(res, "path", z->name,
               "压缩包中的“%s”使用了绝对路径，指向压缩包以外的位置，请重新打包后上传", z->name);
        return 0;
    }
    if (path_escapes(z->name)) {
        refuse(res, "path", z->name, "压缩包中的“%s”指向压缩包以外的位置，请重新打包后上传",
               z->name);
        return 0;
    }
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFLNK || archive_entry_hardlink(e) != NULL) {
        refuse(res, "link", z->name,
               "压缩包中的“%s”是链接（快捷方式），不是文件本身，请放入扫描件本身后重新打包上传",
               z->name);
        return 0;
    }
    if (type == AE_IFDIR)
        return 0;
    if (type != AE_IFREG) {
        refuse(res, "special", z->name, "压缩包中的“%s”不是普通文件，请只放入扫描件后重新打包上传",
               z->name);
        return 0;
    }
    return read_entry(z);
}

int zipcheck_run(const void *data, size_t len, const struct zipcheck_limits *lim,
                 struct zipcheck_result *res)
{
    int rc = 0;
    memset(res, 0, sizeof(*res));
    res->accepted = true;
    res->entries = json_array();
    struct zipcheck_run z = {.lim = lim, .res = res, .block = malloc(ZIPCHECK_BLOCK)};
    /* Names with the UTF-8 flag are converted to the thread's charset: make it UTF-8. */
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    locale_t old = utf8 != (locale_t)0 ? uselocale(utf8) : (locale_t)0;
    z.a = archive_read_new();
    if (res->entries == NULL || z.block == NULL || z.a == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    /* Seekable only: the central directory is what says an entry is a link;
     * an archive without a readable one is refused rather than streamed. */
    if (archive_read_support_format_zip_seekable(z.a) != ARCHIVE_OK) {
        rc = -ENOTSUP;
        goto done;
    }
    if (sniff_type(data, len) == NULL || strcmp(sniff_type(data, len), SNIFF_ZIP) != 0 ||
        archive_read_open_memory(z.a, data, len) != ARCHIVE_OK) {
        refuse(res, "not_zip", "", "上传的文件不是 ZIP 压缩包，请用压缩软件打包成 .zip 后上传");
        goto done;
    }
    for (int64_t index = 1; res->accepted && rc == 0; index++) {
        struct archive_entry *e;
        int r = archive_read_next_header(z.a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            if (index == 1)
                refuse(res, "not_zip", "",
                       "上传的文件不是有效的 ZIP 压缩包（%s），请用压缩软件重新打包成 .zip 后上传",
                       archive_error_string(z.a) ? archive_error_string(z.a) : "无法读取");
            else
                refuse(res, "corrupt", z.name, "压缩包在“%s”之后已损坏，无法读取，请重新打包后上传",
                       z.name);
            break;
        }
        rc = check_entry(&z, e, index);
    }
    if (rc == 0 && res->accepted && res->files == 0)
        refuse(res, "empty", "",
               "压缩包中没有扫描件，请放入 JPG、PNG 或 PDF 格式的扫描件后重新打包上传");
done:
    if (z.a != NULL)
        archive_read_free(z.a);
    if (utf8 != (locale_t)0) {
        uselocale(old);
        freelocale(utf8);
    }
    free(z.block);
    return rc;
}

void zipcheck_result_free(struct zipcheck_result *res)
{
    json_decref(res->entries);
    res->entries = NULL;
}

json_t *zipcheck_detail_json(const struct zipcheck_result *res)
{
    json_t *d =
        json_pack("{s:O, s:I, s:I}", "entries", res->entries ? res->entries : json_null(), "files",
                  (json_int_t)res->files, "total_bytes", (json_int_t)res->total_bytes);
    if (d != NULL && !res->accepted) {
        json_object_set_new(d, "rule", json_string(res->rule));
        json_object_set_new(d, "entry", json_string(res->entry));
    }
    return d;
}
