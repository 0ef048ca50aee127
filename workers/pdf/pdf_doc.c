/*
 * pdf_doc.c - the layout engine behind every template (see pdf_internal.h):
 * the two-pass render driver, the PDF surface writing into memory, fonts
 * and their installation check, page header and footer, text, ruled cells,
 * flowing tables and the flowing text box.
 */
#include "pdf_internal.h"

#include "alloc.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CELL_PAD_X    PDF_MM(1.6)
#define CELL_PAD_Y    PDF_MM(1.0)
#define CELL_MIN_SIZE 6.0 /* floor when shrinking text into a fixed cell */
#define RULE          0.6 /* cell rules, points */
#define LABEL_GREY    0.93
#define HEADER_RULE_Y PDF_MM(17.0)
#define FOOTER_RULE_Y PDF_MM(281.5)
#define FOOTER_TEXT_Y PDF_MM(283.0)
#define FOOTER_SIZE   8.0
#define FLOW_SIZE     10.5
#define FLOW_PAD      PDF_MM(4.0)
#define FLOW_LABEL_H  PDF_MM(8.0)
#define FLOW_TAIL_H   PDF_MM(12.0)
#define FLOW_LINE_GAP PDF_MM(10.0) /* writing lines of an empty box */
#define FLOW_LINE_W   0.3
#define SECTION_SIZE  11.0
#define SECTION_H     PDF_MM(8.0)

void pdf_fail(struct pdf_doc *d, int rc, const char *fmt, ...)
{
    va_list ap;
    if (d->rc != 0)
        return;
    d->rc = rc;
    va_start(ap, fmt);
    vsnprintf(d->err, d->errsz, fmt, ap);
    va_end(ap);
}

int pdf_check_text(char *err, size_t errsz, const char *label, const char *s, int required,
                   size_t max_chars)
{
    if (s == NULL || *s == '\0') {
        if (!required)
            return 0;
        snprintf(err, errsz, "required field %s is empty", label);
        return -EINVAL;
    }
    if (!g_utf8_validate(s, -1, NULL)) {
        snprintf(err, errsz, "field %s is not valid UTF-8", label);
        return -EILSEQ;
    }
    if (max_chars == 0)
        max_chars = PDF_FIELD_MAX_CHARS;
    if ((size_t)g_utf8_strlen(s, -1) > max_chars) {
        snprintf(err, errsz, "field %s is longer than %zu characters", label, max_chars);
        return -E2BIG;
    }
    return 0;
}

int pdf_check_fields(char *err, size_t errsz, const struct pdf_field *f, size_t n)
{
    int rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = pdf_check_text(err, errsz, f[i].label, f[i].value, f[i].required,
                                 f[i].max_chars)) < 0)
            return rc;
    return 0;
}

void pdf_output_free(struct pdf_output *out)
{
    if (out == NULL)
        return;
    free(out->data);
    out->data = NULL;
    out->len = 0;
}

/* ---- output buffer ---- */

static cairo_status_t buf_write(void *closure, const unsigned char *data, unsigned int len)
{
    struct pdf_buf *b = closure;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 64 * 1024;
        while (cap < b->len + len)
            cap *= 2;
        b->data = zk_realloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return CAIRO_STATUS_SUCCESS;
}

/* ---- fonts ---- */

/* Sets up the pango context and checks that each family resolves to
 * itself: fontconfig would otherwise substitute any font silently. */
static int fonts_init(struct pdf_doc *d)
{
    const char *family[PDF_FONT_COUNT] = {
        d->meta->body_font ? d->meta->body_font : PDF_FONT_BODY_DEFAULT,
        d->meta->heading_font ? d->meta->heading_font : PDF_FONT_HEADING_DEFAULT,
    };
    /* Per-thread and cached by pango: not ours to free. */
    PangoFontMap *fm = pango_cairo_font_map_get_default();
    d->pango = pango_font_map_create_context(fm);
    pango_cairo_context_set_resolution(d->pango, 72.0);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    pango_cairo_context_set_font_options(d->pango, fo);
    cairo_font_options_destroy(fo);
    pango_context_set_round_glyph_positions(d->pango, FALSE);
    pango_context_set_language(d->pango, pango_language_from_string("zh-cn"));

    for (int i = 0; i < PDF_FONT_COUNT; i++) {
        d->font[i] = pango_font_description_new();
        pango_font_description_set_family(d->font[i], family[i]);
        pango_font_description_set_absolute_size(d->font[i], 10 * PANGO_SCALE);
        PangoFont *f = pango_font_map_load_font(fm, d->pango, d->font[i]);
        const char *got = NULL;
        PangoFontDescription *desc = f ? pango_font_describe(f) : NULL;
        if (desc)
            got = pango_font_description_get_family(desc);
        int ok = got && g_ascii_strcasecmp(got, family[i]) == 0;
        if (desc)
            pango_font_description_free(desc);
        if (f)
            g_object_unref(f);
        if (!ok) {
            pdf_fail(d, -ENOENT,
                     "font \"%s\" is not installed (the default comes from the Debian "
                     "package fonts-wqy-microhei)",
                     family[i]);
            return -ENOENT;
        }
    }
    return 0;
}

static void fonts_free(struct pdf_doc *d)
{
    for (int i = 0; i < PDF_FONT_COUNT; i++)
        if (d->font[i])
            pango_font_description_free(d->font[i]);
    if (d->pango)
        g_object_unref(d->pango);
}

/* ---- text ---- */

/* Fails the render naming the first character no installed font can draw:
 * it would print as a box with its code in hex. */
static void fail_unknown_glyph(struct pdf_doc *d, PangoLayout *l)
{
    PangoLayoutIter *it = pango_layout_get_iter(l);
    gunichar c = 0;
    do {
        PangoLayoutRun *run = pango_layout_iter_get_run_readonly(it);
        for (int i = 0; run && c == 0 && i < run->glyphs->num_glyphs; i++)
            if (run->glyphs->glyphs[i].glyph & PANGO_GLYPH_UNKNOWN_FLAG)
                c = run->glyphs->glyphs[i].glyph & ~PANGO_GLYPH_UNKNOWN_FLAG;
    } while (c == 0 && pango_layout_iter_next_run(it));
    pango_layout_iter_free(it);
    pdf_fail(d, -ENOENT, "character U+%04X has no glyph in any installed font", (unsigned)c);
}

PangoLayout *pdf_layout(struct pdf_doc *d, enum pdf_font_id f, double size, double width,
                        PangoAlignment align, enum pdf_layout_style style, const char *text)
{
    if (text == NULL)
        text = "";
    char *key = g_strdup_printf("%d|%ld|%ld|%d|%d|%s", (int)f, lround(size * 1000),
                                lround(width * 1000), (int)align, (int)style, text);
    PangoLayout *l = g_hash_table_lookup(d->layouts, key);
    if (l) {
        g_free(key);
        return l;
    }
    l = pango_layout_new(d->pango);
    PangoFontDescription *fd = pango_font_description_copy_static(d->font[f]);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    if (width > 0) {
        pango_layout_set_width(l, (int)(width * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    }
    pango_layout_set_alignment(l, align);
    if (style == PDF_LAYOUT_CELL) {
        pango_layout_set_line_spacing(l, 1.2f);
    } else if (style == PDF_LAYOUT_PARA) {
        pango_layout_set_justify(l, TRUE);
        pango_layout_set_indent(l, (int)(2 * size * PANGO_SCALE));
        pango_layout_set_line_spacing(l, 1.6f);
    }
    PangoAttrList *attrs = pango_attr_list_new();
    pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
    pango_layout_set_attributes(l, attrs);
    pango_attr_list_unref(attrs);
    pango_layout_set_text(l, text, -1);
    if (pango_layout_get_unknown_glyphs_count(l) > 0)
        fail_unknown_glyph(d, l);
    g_hash_table_insert(d->layouts, key, l);
    return l;
}

double pdf_layout_height(PangoLayout *l)
{
    PangoRectangle r;
    pango_layout_get_extents(l, NULL, &r);
    return (double)r.height / PANGO_SCALE;
}

double pdf_layout_width(PangoLayout *l)
{
    PangoRectangle r;
    pango_layout_get_extents(l, NULL, &r);
    return (double)r.width / PANGO_SCALE;
}

void pdf_show(struct pdf_doc *d, PangoLayout *l, double x, double y)
{
    if (d->cr == NULL)
        return;
    cairo_move_to(d->cr, x, y);
    pango_cairo_show_layout(d->cr, l);
}

double pdf_text(struct pdf_doc *d, enum pdf_font_id f, double size, double x, double y, double w,
                PangoAlignment align, const char *text)
{
    PangoLayout *l = pdf_layout(d, f, size, w, align, PDF_LAYOUT_PLAIN, text);
    pdf_show(d, l, x, y);
    return pdf_layout_height(l);
}

/* ---- lines ---- */

void pdf_rect(struct pdf_doc *d, double x, double y, double w, double h, double line_width)
{
    if (d->cr == NULL)
        return;
    cairo_set_line_width(d->cr, line_width);
    cairo_rectangle(d->cr, x, y, w, h);
    cairo_stroke(d->cr);
}

void pdf_fill(struct pdf_doc *d, double x, double y, double w, double h, double grey)
{
    if (d->cr == NULL)
        return;
    cairo_set_source_rgb(d->cr, grey, grey, grey);
    cairo_rectangle(d->cr, x, y, w, h);
    cairo_fill(d->cr);
    cairo_set_source_rgb(d->cr, 0, 0, 0);
}

void pdf_hline(struct pdf_doc *d, double x1, double x2, double y, double line_width)
{
    if (d->cr == NULL)
        return;
    cairo_set_line_width(d->cr, line_width);
    cairo_move_to(d->cr, x1, y);
    cairo_line_to(d->cr, x2, y);
    cairo_stroke(d->cr);
}

/* ---- pages ---- */

static void page_header(struct pdf_doc *d)
{
    char no[64];
    snprintf(no, sizeof(no), "文档编号：%s", d->docno);
    pdf_text(d, PDF_HEADING, 10.5, PDF_LEFT, PDF_MM(11.0), 0, PANGO_ALIGN_LEFT,
             d->meta->office_name);
    pdf_text(d, PDF_BODY, 9.0, PDF_LEFT, PDF_MM(11.8), PDF_CONTENT_W, PANGO_ALIGN_RIGHT, no);
    pdf_hline(d, PDF_LEFT, PDF_RIGHT, HEADER_RULE_Y, 0.9);
    pdf_hline(d, PDF_LEFT, PDF_RIGHT, HEADER_RULE_Y + 1.8, 0.4);
    d->y = PDF_CONTENT_TOP;
}

static void page_footer(struct pdf_doc *d)
{
    char gen[64], num[64];
    if (d->cr == NULL)
        return;
    snprintf(gen, sizeof(gen), "生成时间：%s（北京时间）", d->generated);
    snprintf(num, sizeof(num), "第 %d 页 / 共 %d 页", d->page, d->pages);
    pdf_hline(d, PDF_LEFT, PDF_RIGHT, FOOTER_RULE_Y, 0.5);
    pdf_text(d, PDF_BODY, FOOTER_SIZE, PDF_LEFT, FOOTER_TEXT_Y, 0, PANGO_ALIGN_LEFT, gen);
    pdf_text(d, PDF_BODY, FOOTER_SIZE, PDF_LEFT, FOOTER_TEXT_Y, PDF_CONTENT_W, PANGO_ALIGN_CENTER,
             "本文件由系统生成，可凭文档编号核验");
    pdf_text(d, PDF_BODY, FOOTER_SIZE, PDF_LEFT, FOOTER_TEXT_Y, PDF_CONTENT_W, PANGO_ALIGN_RIGHT,
             num);
    cairo_show_page(d->cr);
}

void pdf_page_break(struct pdf_doc *d)
{
    page_footer(d);
    d->page++;
    page_header(d);
}

double pdf_space_left(const struct pdf_doc *d)
{
    return PDF_CONTENT_BOTTOM - d->y;
}

int pdf_ensure(struct pdf_doc *d, double h)
{
    if (d->y + h <= PDF_CONTENT_BOTTOM || d->y <= PDF_CONTENT_TOP)
        return 0;
    pdf_page_break(d);
    return 1;
}

/* ---- cells and tables ---- */

static PangoAlignment cell_align(const struct pdf_cell *c)
{
    return (c->flags & (PDF_CELL_LABEL | PDF_CELL_CENTER)) ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT;
}

static PangoLayout *cell_layout(struct pdf_doc *d, const struct pdf_cell *c, double size)
{
    return pdf_layout(d, PDF_BODY, size, c->w - 2 * CELL_PAD_X, cell_align(c), PDF_LAYOUT_CELL,
                      c->text);
}

double pdf_row_height(struct pdf_doc *d, const struct pdf_cell *cells, int n, double size,
                      double min_h)
{
    double h = min_h;
    for (int i = 0; i < n; i++) {
        if (cells[i].text == NULL || *cells[i].text == '\0')
            continue;
        double ch = pdf_layout_height(cell_layout(d, &cells[i], size)) + 2 * CELL_PAD_Y;
        if (ch > h)
            h = ch;
    }
    return h;
}

void pdf_row(struct pdf_doc *d, double x, const struct pdf_cell *cells, int n, double size,
             double h)
{
    for (int i = 0; i < n; i++) {
        const struct pdf_cell *c = &cells[i];
        if (c->flags & PDF_CELL_LABEL)
            pdf_fill(d, x, d->y, c->w, h, LABEL_GREY);
        if (c->text && *c->text) {
            double s = size, th;
            PangoLayout *l = cell_layout(d, c, s);
            while ((th = pdf_layout_height(l)) > h - 2 * CELL_PAD_Y + 0.01 && s > CELL_MIN_SIZE) {
                s -= 0.5;
                l = cell_layout(d, c, s);
            }
            if (th > h - 2 * CELL_PAD_Y + 0.01)
                pdf_fail(d, -E2BIG, "field %s is too long for its cell on the form",
                         c->field ? c->field : c->text);
            pdf_show(d, l, x + CELL_PAD_X, d->y + (h - th) / 2);
        }
        pdf_rect(d, x, d->y, c->w, h, RULE);
        x += c->w;
    }
}

void pdf_table_head(struct pdf_doc *d, const struct pdf_table *t)
{
    double hh = pdf_row_height(d, t->head, t->ncols, t->size, t->min_row_h);
    pdf_ensure(d, hh + t->min_row_h);
    pdf_row(d, PDF_LEFT, t->head, t->ncols, t->size, hh);
    d->y += hh;
}

void pdf_table_row(struct pdf_doc *d, const struct pdf_table *t, const char *const *texts)
{
    struct pdf_cell cells[16];
    int n = t->ncols < 16 ? t->ncols : 16;
    for (int i = 0; i < n; i++)
        cells[i] = (struct pdf_cell){t->head[i].w, texts[i], 0, t->head[i].text};
    for (int i = 0; i < n; i++)
        cells[i].flags = (i == 0 || t->head[i].flags & PDF_CELL_CENTER) ? PDF_CELL_CENTER : 0;
    double h = pdf_row_height(d, cells, n, t->size, t->min_row_h);
    double hh = pdf_row_height(d, t->head, t->ncols, t->size, t->min_row_h);
    if (h > PDF_CONTENT_BOTTOM - PDF_CONTENT_TOP - hh) {
        pdf_fail(d, -E2BIG, "a row of the %s table is longer than a page", t->head[n - 1].text);
        return;
    }
    if (d->y + h > PDF_CONTENT_BOTTOM) {
        pdf_page_break(d);
        pdf_row(d, PDF_LEFT, t->head, t->ncols, t->size, hh);
        d->y += hh;
    }
    pdf_row(d, PDF_LEFT, cells, n, t->size, h);
    d->y += h;
}

void pdf_grid_row(struct pdf_doc *d, const struct pdf_cell *cells, int n, double size, double min_h)
{
    double h = pdf_row_height(d, cells, n, size, min_h);
    pdf_ensure(d, h);
    pdf_row(d, PDF_LEFT, cells, n, size, h);
    d->y += h;
}

void pdf_title(struct pdf_doc *d, const char *title)
{
    d->y += PDF_MM(2.0);
    d->y +=
        pdf_text(d, PDF_HEADING, 17.0, PDF_LEFT, d->y, PDF_CONTENT_W, PANGO_ALIGN_CENTER, title);
    d->y += PDF_MM(5.0);
}

void pdf_para(struct pdf_doc *d, double size, PangoAlignment align, const char *text)
{
    PangoLayout *l = pdf_layout(d, PDF_BODY, size, PDF_CONTENT_W, align, PDF_LAYOUT_PLAIN, text);
    double h = pdf_layout_height(l);
    pdf_ensure(d, h);
    pdf_show(d, l, PDF_LEFT, d->y);
    d->y += h;
}

void pdf_section(struct pdf_doc *d, const char *title, double keep_h)
{
    pdf_ensure(d, SECTION_H + keep_h);
    pdf_text(d, PDF_HEADING, SECTION_SIZE, PDF_LEFT, d->y + PDF_MM(1.5), 0, PANGO_ALIGN_LEFT,
             title);
    d->y += SECTION_H;
}

/* ---- flowing text box ---- */

static void flow_label(struct pdf_doc *d, const char *label, int cont)
{
    char text[128];
    snprintf(text, sizeof(text), "%s%s", label, cont ? "（续）" : "");
    pdf_fill(d, PDF_LEFT, d->y, PDF_CONTENT_W, FLOW_LABEL_H, LABEL_GREY);
    pdf_rect(d, PDF_LEFT, d->y, PDF_CONTENT_W, FLOW_LABEL_H, RULE);
    pdf_text(d, PDF_HEADING, SECTION_SIZE, PDF_LEFT + FLOW_PAD, d->y + PDF_MM(1.6), 0,
             PANGO_ALIGN_LEFT, text);
    d->y += FLOW_LABEL_H;
}

void pdf_flow_box(struct pdf_doc *d, const char *label, const char *text, double min_h,
                  const char *tail)
{
    const double inner_w = PDF_CONTENT_W - 2 * FLOW_PAD;
    const double tail_h = tail ? FLOW_TAIL_H : 0;
    PangoLayout *l =
        pdf_layout(d, PDF_BODY, FLOW_SIZE, inner_w, PANGO_ALIGN_LEFT, PDF_LAYOUT_PARA, text);
    PangoLayoutIter *it = pango_layout_get_iter(l);
    int more = text != NULL && *text != '\0';
    int part = 0;
    double part_top, text_end;

    for (;;) {
        /* One part of the box per page: label row, then as many whole lines
         * as fit above the footer. */
        pdf_ensure(d, FLOW_LABEL_H + 2 * FLOW_PAD + 2 * FLOW_SIZE + (more ? 0 : tail_h));
        part_top = d->y;
        flow_label(d, label, part > 0);
        double text_top = d->y + FLOW_PAD;
        text_end = text_top;
        int offset = -1, lines = 0;
        while (more) {
            PangoRectangle log;
            pango_layout_iter_get_line_extents(it, NULL, &log);
            if (offset < 0)
                offset = log.y;
            double bottom = text_top + (double)(log.y + log.height - offset) / PANGO_SCALE;
            if (lines > 0 && bottom > PDF_CONTENT_BOTTOM - FLOW_PAD)
                break;
            if (d->cr) {
                int base = pango_layout_iter_get_baseline(it);
                cairo_move_to(d->cr, PDF_LEFT + FLOW_PAD + (double)log.x / PANGO_SCALE,
                              text_top + (double)(base - offset) / PANGO_SCALE);
                pango_cairo_show_layout_line(d->cr, pango_layout_iter_get_line_readonly(it));
            }
            text_end = bottom;
            lines++;
            more = pango_layout_iter_next_line(it);
        }
        double part_bottom = text_end + FLOW_PAD;
        if (!more && part_bottom + tail_h <= PDF_CONTENT_BOTTOM) {
            part_bottom += tail_h;
            if (part == 0 && part_bottom - part_top < min_h)
                part_bottom = part_top + min_h;
            if (part_bottom > PDF_CONTENT_BOTTOM)
                part_bottom = PDF_CONTENT_BOTTOM;
            /* No text: lines to write on by hand, clear of the tail. */
            for (double y = text_top + FLOW_LINE_GAP;
                 lines == 0 && y <= part_bottom - tail_h - FLOW_PAD; y += FLOW_LINE_GAP)
                pdf_hline(d, PDF_LEFT + FLOW_PAD, PDF_RIGHT - FLOW_PAD, y, FLOW_LINE_W);
            if (tail)
                pdf_text(d, PDF_BODY, FLOW_SIZE, PDF_LEFT, part_bottom - PDF_MM(8.0),
                         PDF_CONTENT_W - FLOW_PAD, PANGO_ALIGN_RIGHT, tail);
            pdf_rect(d, PDF_LEFT, part_top, PDF_CONTENT_W, part_bottom - part_top, RULE);
            d->y = part_bottom;
            break;
        }
        /* Lines (or the tail) remain: close this part at the footer. */
        pdf_rect(d, PDF_LEFT, part_top, PDF_CONTENT_W, PDF_CONTENT_BOTTOM - part_top, RULE);
        pdf_page_break(d);
        part++;
    }
    pango_layout_iter_free(it);
}

/* ---- driver ---- */

static int check_meta(struct pdf_doc *d)
{
    const struct pdf_meta *m = d->meta;
    int rc;
    if ((rc = pdf_check_text(d->err, d->errsz, "office_name (机构名称)", m->office_name, 1, 0)) <
            0 ||
        (rc = pdf_check_text(d->err, d->errsz, "province (省份)", m->province, 1, 0)) < 0 ||
        (rc = pdf_check_text(d->err, d->errsz, "body_font", m->body_font, 0, 0)) < 0 ||
        (rc = pdf_check_text(d->err, d->errsz, "heading_font", m->heading_font, 0, 0)) < 0)
        return rc;
    if (pdf_docno_make(d->docno, d->type, m->generated_at, m->serial) < 0) {
        snprintf(d->err, d->errsz,
                 "generated_at must be a positive Unix time and serial at most %u", PDF_SERIAL_MAX);
        return -EINVAL;
    }
    pdf_format_time(d->generated, sizeof(d->generated), m->generated_at);
    return 0;
}

/* "2024-06-15T10:30:00+08:00" for cairo's /CreationDate. */
static void iso_date(char *out, size_t outsz, int64_t t)
{
    char s[24];
    pdf_format_time(s, sizeof(s), t);
    s[10] = 'T';
    snprintf(out, outsz, "%s+08:00", s);
}

static void run_pass(struct pdf_doc *d, pdf_draw_fn draw, const void *arg)
{
    d->page = 1;
    page_header(d);
    draw(d, arg);
    page_footer(d);
}

int pdf_doc_render(enum pdf_doc_type type, const struct pdf_meta *meta, const char *title,
                   pdf_draw_fn draw, const void *arg, struct pdf_output *out)
{
    struct pdf_doc d = {0};
    struct pdf_buf buf = {0};
    cairo_surface_t *surface = NULL;
    char date[40];
    int rc;

    d.meta = meta;
    d.type = type;
    d.title = title;
    d.err = out->error;
    d.errsz = sizeof(out->error);
    if ((rc = check_meta(&d)) < 0)
        goto done;
    if ((rc = fonts_init(&d)) < 0)
        goto done;
    d.layouts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);

    run_pass(&d, draw, arg);
    if ((rc = d.rc) < 0)
        goto done;
    d.pages = d.page;

    surface = cairo_pdf_surface_create_for_stream(buf_write, &buf, PDF_PAGE_W, PDF_PAGE_H);
    iso_date(date, sizeof(date), meta->generated_at);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, meta->office_name);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_SUBJECT, d.docno);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "zikao");
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, date);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE, date);
    d.cr = cairo_create(surface);
    run_pass(&d, draw, arg);
    cairo_status_t st = cairo_status(d.cr);
    cairo_destroy(d.cr);
    d.cr = NULL;
    cairo_surface_finish(surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(surface);
    if ((rc = d.rc) < 0)
        goto done;
    if (st != CAIRO_STATUS_SUCCESS) {
        rc = -EIO;
        snprintf(out->error, sizeof(out->error), "cairo failed to write the PDF: %s",
                 cairo_status_to_string(st));
        goto done;
    }
    if (d.page != d.pages) {
        rc = -EPROTO;
        snprintf(out->error, sizeof(out->error), "internal: measuring found %d pages, drawing %d",
                 d.pages, d.page);
        goto done;
    }
    out->data = buf.data;
    out->len = buf.len;
    out->pages = d.pages;
    memcpy(out->docno, d.docno, sizeof(out->docno));
    snprintf(out->filename, sizeof(out->filename), "%s-%s.pdf", pdf_doc_type_name(type), d.docno);
    buf.data = NULL;
done:
    if (surface)
        cairo_surface_destroy(surface);
    free(buf.data);
    if (d.layouts)
        g_hash_table_destroy(d.layouts);
    fonts_free(&d);
    return rc;
}

/*
 * For LeakSanitizer builds of every program that renders (zikao-worker, the
 * pdf tests): fontconfig keeps what it allocated while parsing its
 * configuration (an upstream leak, freed only by FcFini). FcFini cannot be
 * called at exit: after a quick failed render it aborted in FcCacheFini in
 * about one run in six (a cache still in use by pango's fontconfig thread).
 * Each rendering thread's pango font map is released when the thread ends,
 * so what is left belongs to fontconfig itself. Defined here, in the object
 * every renderer links, so that it is never duplicated or forgotten.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}
