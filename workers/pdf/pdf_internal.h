/*
 * pdf_internal.h - the layout engine the templates draw with (pdf_doc.c)
 * and the photo loader (pdf_photo.c). Not part of the public API.
 *
 * A render runs the template's draw function twice over one struct
 * pdf_doc: first measuring (cr == NULL: nothing is drawn, pages are only
 * counted), then drawing onto the PDF surface with the page total known.
 * Both passes see the same measurements, so they break pages identically.
 * Units are PDF points (1/72 inch), y grows downwards from the page's top
 * edge; PDF_MM converts millimetres.
 */
#ifndef ZK_PDF_INTERNAL_H
#define ZK_PDF_INTERNAL_H

#include "pdf.h"

#include <cairo.h>
#include <pango/pangocairo.h>

#define PDF_MM(x) ((x)*72.0 / 25.4)

/* A4 portrait and the content frame between header and footer. */
#define PDF_PAGE_W         PDF_MM(210.0)
#define PDF_PAGE_H         PDF_MM(297.0)
#define PDF_LEFT           PDF_MM(20.0)
#define PDF_CONTENT_W      PDF_MM(170.0)
#define PDF_RIGHT          (PDF_LEFT + PDF_CONTENT_W)
#define PDF_CONTENT_TOP    PDF_MM(24.0)
#define PDF_CONTENT_BOTTOM PDF_MM(279.0)

enum pdf_font_id { PDF_BODY, PDF_HEADING, PDF_FONT_COUNT };

struct pdf_buf {
    unsigned char *data;
    size_t len, cap;
};

struct pdf_doc {
    const struct pdf_meta *meta;
    enum pdf_doc_type type;
    const char *title; /* full title, page 1 and PDF /Title */
    char docno[PDF_DOCNO_LEN + 1];
    char generated[24];
    PangoContext *pango;
    PangoFontDescription *font[PDF_FONT_COUNT];
    GHashTable *layouts; /* text layouts by font, size, width, style and text: shaped
                            once, reused by both passes and by measure-then-draw */
    cairo_t *cr;         /* NULL while measuring */
    int page;            /* current page, 1-based */
    int pages;           /* total from the measuring pass; 0 while measuring */
    double y;            /* cursor on the current page */
    int rc;              /* first failure, sticky; drawing stops mattering once set */
    char *err;
    size_t errsz;
};

typedef void (*pdf_draw_fn)(struct pdf_doc *d, const void *arg);

/* Validates meta, lays out and draws the document (draw runs twice; it
 * starts on page 1 at PDF_CONTENT_TOP) and fills out. Returns 0 or a
 * negative errno with out->error set. */
int pdf_doc_render(enum pdf_doc_type type, const struct pdf_meta *meta, const char *title,
                   pdf_draw_fn draw, const void *arg, struct pdf_output *out);

/* Records the first failure: rc and a message for pdf_output.error. */
void pdf_fail(struct pdf_doc *d, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Field validation for templates, before rendering: -EINVAL when required
 * and NULL/empty, -EILSEQ when not UTF-8, -E2BIG when longer than max_chars
 * characters (0: PDF_FIELD_MAX_CHARS); the message names the field only
 * (never its value, which may be personal data). */
int pdf_check_text(char *err, size_t errsz, const char *label, const char *s, int required,
                   size_t max_chars);

struct pdf_field {
    const char *label; /* "姓名 (name)" */
    const char *value;
    int required;
    size_t max_chars; /* 0: PDF_FIELD_MAX_CHARS */
};
/* pdf_check_text over a table of fields; stops at the first failure. */
int pdf_check_fields(char *err, size_t errsz, const struct pdf_field *f, size_t n);

/* ---- pages ---- */
void pdf_page_break(struct pdf_doc *d);
/* Breaks the page unless h more points fit above the footer; 1 if it broke. */
int pdf_ensure(struct pdf_doc *d, double h);
double pdf_space_left(const struct pdf_doc *d);

/* ---- text ---- */
enum pdf_layout_style {
    PDF_LAYOUT_PLAIN,
    PDF_LAYOUT_CELL, /* line spacing 1.2 */
    PDF_LAYOUT_PARA, /* justified, first lines indented two characters, spacing 1.6 */
};
/* A layout of text in font f at size points; width > 0 wraps (words, else
 * characters), no hyphens are inserted. Borrowed: the document owns it
 * until the render ends; callers neither unref nor modify it. */
PangoLayout *pdf_layout(struct pdf_doc *d, enum pdf_font_id f, double size, double width,
                        PangoAlignment align, enum pdf_layout_style style, const char *text);
double pdf_layout_height(PangoLayout *l);
double pdf_layout_width(PangoLayout *l);
void pdf_show(struct pdf_doc *d, PangoLayout *l, double x, double y);
/* Draws text at (x, y) in a box w wide; returns its height. */
double pdf_text(struct pdf_doc *d, enum pdf_font_id f, double size, double x, double y, double w,
                PangoAlignment align, const char *text);

/* ---- lines ---- */
void pdf_rect(struct pdf_doc *d, double x, double y, double w, double h, double line_width);
void pdf_fill(struct pdf_doc *d, double x, double y, double w, double h, double grey);
void pdf_hline(struct pdf_doc *d, double x1, double x2, double y, double line_width);

/* ---- ruled cells and tables ---- */
enum {
    PDF_CELL_LABEL = 1 << 0,  /* shaded, centred: a field's name or a table head */
    PDF_CELL_CENTER = 1 << 1, /* centred value */
};

struct pdf_cell {
    double w;         /* width in points; cells of a row are laid left to right */
    const char *text; /* NULL prints nothing */
    unsigned flags;
    const char *field; /* names the field in an E2BIG message */
};

/* Row height for cells at size: the tallest wrapped cell plus padding, at
 * least min_h. */
double pdf_row_height(struct pdf_doc *d, const struct pdf_cell *cells, int n, double size,
                      double min_h);
/* Draws a ruled row at (x, d->y) of height h. Text too tall for its cell is
 * shrunk down to a floor size, then fails with -E2BIG naming the field. */
void pdf_row(struct pdf_doc *d, double x, const struct pdf_cell *cells, int n, double size,
             double h);

/* A table whose rows may flow onto further pages, the head row repeated. */
struct pdf_table {
    const struct pdf_cell *head; /* head cells (widths for all rows) */
    int ncols;
    double size;      /* body text size */
    double min_row_h; /* body row minimum height */
};
void pdf_table_head(struct pdf_doc *d, const struct pdf_table *t);
void pdf_table_row(struct pdf_doc *d, const struct pdf_table *t, const char *const *texts);

/* A ruled row of label/value cells at d->y, as tall as its text needs (at
 * least min_h), on the next page if it does not fit; advances d->y. */
void pdf_grid_row(struct pdf_doc *d, const struct pdf_cell *cells, int n, double size,
                  double min_h);
/* The document's title, centred, on the current page. */
void pdf_title(struct pdf_doc *d, const char *title);
/* A line of text across the content width at d->y; advances d->y. */
void pdf_para(struct pdf_doc *d, double size, PangoAlignment align, const char *text);

/* A section title above a block (e.g. "个人简历"), kept with h points after it. */
void pdf_section(struct pdf_doc *d, const char *title, double keep_h);

/* Long text in a ruled box under a shaded label row, split between lines
 * across pages (the label repeats with "（续）"). The box is at least
 * min_h tall on its first page; tail (e.g. a signature line) is drawn
 * right-aligned at the bottom inside the box. An empty (or NULL) text
 * leaves the box ruled with lines to write on by hand. */
void pdf_flow_box(struct pdf_doc *d, const char *label, const char *text, double min_h,
                  const char *tail);

/* ---- the photo (pdf_photo.c) ---- */
struct pdf_image {
    cairo_surface_t *surface; /* RGB24, JPEG mime data attached; may be a
                                 smaller preview than width x height */
    int width, height;        /* the embedded JPEG's pixel size */
    unsigned char *jpeg;      /* re-encoded bytes owned here, or NULL */
};

/* Decodes JPEG or PNG bytes fully (a truncated or corrupt file fails),
 * keeps the original JPEG for embedding when it is small enough, else
 * scales to at most 600x800 and re-encodes as JPEG. bytes must outlive the
 * image. Errors as in pdf.h (-ENODATA, -EBADMSG, -ENOTSUP). */
int pdf_image_load(const unsigned char *bytes, size_t len, struct pdf_image *img, char *err,
                   size_t errsz);
void pdf_image_free(struct pdf_image *img);
/* Draws img centred in the box, aspect kept. */
void pdf_image_draw(struct pdf_doc *d, const struct pdf_image *img, double x, double y, double w,
                    double h);

#endif
