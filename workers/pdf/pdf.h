/*
 * pdf.h - zikao's printable documents: a struct in, PDF bytes out.
 *
 * This module owns the document layer (library zikao_pdf): page geometry,
 * fonts, ruled tables, the candidate photo, headers and footers, document
 * numbers, and one template per document. It knows nothing of queues, HTTP
 * or the database: the `pdf` worker fills a struct from its rows and calls a
 * pdf_render_* function; the bytes go into `files`.
 *
 * Rendering
 *   cairo's PDF surface; text laid out by pango (HarfBuzz shaping, UAX #14
 *   line breaking, so CJK wraps between ideographs and never before closing
 *   punctuation). Fonts come from Debian packages and are embedded as
 *   subsets (pdffonts shows emb=yes sub=yes for each). The default is one
 *   family for body and titles, PDF_FONT_BODY_DEFAULT (fonts-wqy-microhei, a
 *   Hei face with plain unhinted TrueType outlines): one subset per
 *   document, ~40 KB for a whole 毕业生登记表. Measured alternatives (same
 *   form, cairo 1.16): AR PL UMing CN (fonts-arphic-uming, a Song/Ming face)
 *   gives ~110 KB and +50% time, its glyphs carry hinting bytecode; Noto CJK
 *   (fonts-noto-cjk) ~150-180 KB, as cairo 1.16 keeps the CFF's whole
 *   28 000-entry local-subroutine index in every subset. A family may be
 *   overridden per call (struct pdf_meta); a family that fontconfig does not
 *   resolve to itself is an error (-ENOENT), never a silent substitute.
 *
 * Every page carries a header (the office's name and the document number)
 * and a footer (generated-at line, "第 i 页 / 共 n 页"); page 1 carries the
 * title, which is also the PDF /Title. Layout runs twice, once to measure
 * (page count, breaks) and once to draw, so page numbers are exact and long
 * text flows onto further pages at line boundaries, never cut. Each text
 * is shaped once per render and reused by both passes.
 *
 * Determinism: identical input gives byte-identical output, in one process
 * or across processes, whatever the time zone or locale. Nothing reads the
 * clock or the environment: the generated-at line, the PDF /CreationDate
 * and /ModDate (cairo 1.16 would otherwise stamp the current time) and the
 * document number all come from meta.generated_at; times print in Beijing
 * time (UTC+8, fixed offset, no TZ lookup); pango's language is fixed to
 * zh-cn rather than taken from the locale. cairo writes objects in emission
 * order, no /ID, and names font subsets after a hash of their glyphs, so no
 * address or counter reaches the file. This holds for one installation:
 * other versions of the fonts, cairo, pango, HarfBuzz or zlib may change
 * the bytes (not the content), so stored hashes compare within one machine
 * image. (cairo 1.16 writes user-set dates without the "D:" prefix; readers
 * such as poppler parse them as intended.)
 *
 * Document number (文档编号)
 *   PP-YYYYMMDD-NNNNNNNN-C, 22 characters, e.g. DJ-20240615-00012345-7:
 *   PP        type: DJ 毕业生登记表, MK 免考申请信息详情,
 *             ZK 省内转考申请信息详情, JF 缴费凭证, ZC 省际转出证明;
 *   YYYYMMDD  the Beijing date of meta.generated_at;
 *   NNNNNNNN  meta.serial, zero-padded (the caller's document sequence);
 *   C         check character, ISO 7064 MOD 11-2 (the GB 11643 ID-card
 *             scheme, '0'-'9' or 'X') over the digit string made of each
 *             type letter as two digits (A=10 ... Z=35, as in IBAN) followed
 *             by the 16 date and serial digits. It catches every single
 *             changed character and every swap of two adjacent ones,
 *             including a changed type.
 *   pdf_docno_verify accepts the number with or without the hyphens.
 *
 * Errors: every function returns 0 or a negative errno value and, for
 * renders, a sentence in out->error naming the field and what is wrong
 * (never the field's value: the message may be logged):
 *   -EINVAL  a required field is missing or out of range
 *   -EILSEQ  a text field is not valid UTF-8
 *   -E2BIG   a field over its bound (PDF_*_MAX*), or too long for its fixed
 *            cell even at the smallest size
 *   -ENODATA the photo is missing (NULL or zero length)
 *   -EBADMSG the photo is neither a decodable JPEG nor PNG (or truncated)
 *   -ENOTSUP a photo kind PDF embedding does not support (CMYK JPEG)
 *   -ENOENT  a font family is not installed, or a character has no glyph in
 *            any installed font (it would print as an empty box)
 *   -EIO     cairo failed to produce the PDF
 *
 * Thread safety: the render functions share no mutable state; each call
 * makes its own surface and pango context. Fonts come from pango's
 * per-thread default font map, so a worker that renders in a loop loads
 * each font once per thread (the first render in a thread costs ~70 ms
 * more). Input structs are only read; photo bytes are embedded without a
 * copy, so they must stay valid for the call.
 */
#ifndef ZK_PDF_H
#define ZK_PDF_H

#include <stddef.h>
#include <stdint.h>

#define PDF_FONT_BODY_DEFAULT    "WenQuanYi Micro Hei"
#define PDF_FONT_HEADING_DEFAULT "WenQuanYi Micro Hei"

#define PDF_DOCNO_LEN 22 /* "DJ-20240615-00012345-7" */

/* Bounds on input (longer is -E2BIG): any text field, in characters; the
 * self-assessment; résumé lines. */
#define PDF_FIELD_MAX_CHARS           200
#define PDF_SELF_ASSESSMENT_MAX_CHARS 10000
#define PDF_RESUME_MAX                60
#define PDF_SERIAL_MAX                99999999u

enum pdf_doc_type {
    PDF_DOC_GRADUATE_FORM, /* DJ 毕业生登记表 */
    PDF_DOC_EXEMPTION,     /* MK 免考申请信息详情 */
    PDF_DOC_TRANSFER,      /* ZK 省内转考申请信息详情 */
    PDF_DOC_RECEIPT,       /* JF 缴费凭证 */
    PDF_DOC_TRANSFER_OUT,  /* ZC 省际转出证明 */
};

/* What every document carries besides its own fields. */
struct pdf_meta {
    const char *office_name;  /* header, e.g. "山西省招生考试管理中心"; required */
    const char *province;     /* title prefix, e.g. "山西省"; required */
    int64_t generated_at;     /* Unix seconds, > 0: generated-at line, /CreationDate, number */
    uint32_t serial;          /* 0..PDF_SERIAL_MAX: the document's sequence number */
    const char *body_font;    /* NULL: PDF_FONT_BODY_DEFAULT */
    const char *heading_font; /* NULL: PDF_FONT_HEADING_DEFAULT */
};

/* The result of a render. On success data is a malloc'd buffer of len bytes
 * the caller frees (free() or pdf_output_free); on failure data is NULL and
 * error says what is wrong. */
struct pdf_output {
    unsigned char *data;
    size_t len;
    int pages;
    char docno[PDF_DOCNO_LEN + 1];
    char filename[96]; /* "毕业生登记表-DJ-20240615-00012345-7.pdf" (UTF-8; for
                          Content-Disposition with RFC 5987 filename*=) */
    char error[256];
};

void pdf_output_free(struct pdf_output *out);

/* ---- 毕业生登记表 (graduate registration form), two pages or more ---- */

/* One line of the résumé (个人简历). */
struct pdf_resume_entry {
    const char *from;    /* "2010-09"; required */
    const char *to;      /* "2013-07" or "至今"; required */
    const char *unit;    /* 在何地何单位学习或工作; required */
    const char *role;    /* 任何职务; may be NULL */
    const char *witness; /* 证明人; may be NULL */
};

/* Page 1: title, personal details beside the photo, prior education,
 * résumé (flows on if long, header row repeated), and the note on handing
 * it in (一式两份, with the original cards, to the chosen district office
 * named by district; 未按时提交纸质原件者，毕业申请无效). Page 2:
 * self-assessment in a ruled box that flows onto further pages at line
 * boundaries (empty: ruled to write by hand), the candidate's signature
 * line, then three stamp boxes kept together. Fields marked required must
 * be non-empty; the others may be NULL (blank cell). */
struct pdf_graduate_form {
    struct pdf_meta meta;
    const char *name;             /* required */
    const char *gender;           /* required */
    const char *birth_date;       /* 出生年月 "1995-03" */
    const char *ethnicity;        /* 民族 */
    const char *political_status; /* 政治面貌 */
    const char *native_place;     /* 籍贯 */
    const char *id_number;        /* 身份证号; required */
    const char *exam_id;          /* 准考证号; required */
    const char *major_code;       /* "030101K" */
    const char *major_name;       /* required */
    const char *level;            /* 层次: 专科 / 本科; required */
    const char *university;       /* 主考院校; required */
    const char *district;         /* 毕业申请区县 (named in the note) */
    const char *work_unit;        /* 工作单位 */
    const char *address;          /* 通讯地址 */
    const char *postcode;
    const char *phone;
    const char *email;
    /* 前置学历 (prior education) */
    const char *prior_level;     /* 学历, e.g. 专科 */
    const char *prior_school;    /* 毕业院校 */
    const char *prior_major;     /* 所学专业 */
    const char *prior_graduated; /* 毕业时间 "2016-07" */
    const char *prior_cert_no;   /* 证书编号 */
    const struct pdf_resume_entry *resume;
    size_t resume_count;
    const char *self_assessment; /* 自我鉴定: any length, '\n' separates paragraphs; NULL or
                                    empty leaves a blank box to write in by hand */
    const unsigned char *photo;  /* JPEG or PNG bytes; required */
    size_t photo_len;
};

int pdf_render_graduate_form(const struct pdf_graduate_form *in, struct pdf_output *out);

/* ---- 免考申请信息详情 (exemption application detail, seed 002) ---- */

struct pdf_course {
    const char *code; /* "00018"; required */
    const char *name; /* "计算机应用基础"; required */
};

/* One certificate used for exemption and the courses it exempts. */
struct pdf_exemption_cert {
    const char *certificate; /* 证书, e.g. "全国计算机等级考试(NCRE)二级及以上合格证书"; required */
    const char *exam_date;            /* 考试时间 "2019-09" */
    const char *subject;              /* 考试科目 */
    const char *cert_no;              /* 证书编号 */
    const struct pdf_course *courses; /* at least one */
    size_t course_count;
};

#define PDF_EXEMPTION_MAX_CERTS  4
#define PDF_EXEMPTION_MAX_MAJORS 2

struct pdf_exemption_detail {
    struct pdf_meta meta;
    const char *name;                             /* required */
    const char *gender;                           /* 性别 */
    const char *id_number;                        /* 证件号码; required */
    const char *exam_id;                          /* 准考证号; required */
    const char *exam_area;                        /* 考区 */
    const char *majors[PDF_EXEMPTION_MAX_MAJORS]; /* "020204 会计"; at least majors[0] */
    const char *landline;                         /* 固定电话 */
    const char *mobile;                           /* 手机号 */
    const char *confirm_point;                    /* 免考确认点; required */
    const struct pdf_exemption_cert *certs;       /* 1..PDF_EXEMPTION_MAX_CERTS */
    size_t cert_count;
    const char *status;        /* 申请状态, e.g. "已提交" or "被退回"; required */
    const char *return_reason; /* 退回原因, printed when non-empty */
    int64_t submitted_at;      /* Unix seconds; 0 = not shown */
};

int pdf_render_exemption_detail(const struct pdf_exemption_detail *in, struct pdf_output *out);

/* ---- 省内转考申请信息详情 (in-province transfer detail, seed 003) ---- */

struct pdf_transfer_detail {
    struct pdf_meta meta;
    const char *name; /* required */
    const char *gender;
    const char *id_number; /* 证件号码; required */
    const char *exam_id;   /* 准考证号; required */
    const char *kind;      /* 类型; NULL = "省内转考" */
    const char *from_city; /* 原属地市; required */
    const char *to_city;   /* 转入市; required */
    int64_t applied_at;    /* 申请时间, Unix seconds; required (> 0) */
    const char *remarks;   /* 备注 */
    const char *status;    /* 申请状态, e.g. "已提交" */
};

int pdf_render_transfer_detail(const struct pdf_transfer_detail *in, struct pdf_output *out);

/* ---- 省际转出证明 (transfer-out certificate, handbook 003: 省际转出) ---- */

/* One passed course as the certificate lists it. */
struct pdf_passed_course {
    const char *exam_id;   /* 准考证号; required */
    const char *code;      /* 课程代码; required */
    const char *name;      /* 课程名称; required */
    const char *score;     /* 成绩 ("85", "合格", "免考"); required */
    int credits;           /* 学分, >= 0 */
    const char *passed_on; /* 合格时间 "2024-04-13"; required */
};

struct pdf_transfer_certificate {
    struct pdf_meta meta;
    const char *name; /* required */
    const char *gender;
    const char *id_number;   /* 证件号码; required */
    const char *exam_ids;    /* 准考证号, several separated by "、"; required */
    const char *to_province; /* 转入省份; required */
    const char *reason;      /* 转出原因 */
    int64_t approved_at;     /* 批准时间, Unix seconds; required (> 0) */
    const struct pdf_passed_course *courses; /* may be empty: "无合格课程" */
    size_t course_count;
};

int pdf_render_transfer_certificate(const struct pdf_transfer_certificate *in,
                                    struct pdf_output *out);

/* ---- 缴费凭证 (payment receipt for a paid order) ---- */

struct pdf_receipt {
    struct pdf_meta meta;
    const char *order_no;   /* required */
    const char *purpose;    /* 缴费项目, e.g. "2024年上半年毕业申请费"; required */
    const char *payer_name; /* required */
    const char *exam_id;    /* 准考证号 */
    const char *id_number;  /* printed masked (first 4, last 4) */
    int64_t amount_fen;     /* > 0 */
    const char *pay_method; /* 支付方式, e.g. "微信支付" */
    const char *provider_txn_id; /* 支付平台交易号; required */
    int64_t created_at;          /* 下单时间; 0 = not shown */
    int64_t paid_at;             /* 支付时间; required (> 0): only paid orders have receipts */
    const char *note;            /* e.g. "毕业申请费缴纳后不予退还"; may be NULL */
};

int pdf_render_receipt(const struct pdf_receipt *in, struct pdf_output *out);

/* ---- helpers, public for callers and tests ---- */

/* The document's short Chinese name ("毕业生登记表", "免考申请信息详情",
 * "省内转考申请信息详情", "缴费凭证", "省际转出证明"); NULL for an unknown type. */
const char *pdf_doc_type_name(enum pdf_doc_type type);

/* Writes the document number (PDF_DOCNO_LEN chars + NUL) into out. Returns
 * -EINVAL for an unknown type, generated_at <= 0 or serial > PDF_SERIAL_MAX. */
int pdf_docno_make(char out[PDF_DOCNO_LEN + 1], enum pdf_doc_type type, int64_t generated_at,
                   uint32_t serial);
/* 0 when s is a well-formed number whose check character matches (hyphens
 * optional, check 'x' accepted for 'X'); -EINVAL otherwise. */
int pdf_docno_verify(const char *s);
/* The ISO 7064 MOD 11-2 check character of a string of decimal digits
 * ('0'-'9' or 'X'); 0 when digits is empty or holds a non-digit. */
char pdf_iso7064_mod11_2(const char *digits);

/* "1234.50" for 123450 fen. Returns -EINVAL for a negative amount. */
int pdf_format_yuan(char *out, size_t outsz, int64_t fen);
/* The amount in Chinese capitals as on a receipt: 6000 -> "陆拾元整",
 * 123405 -> "壹仟贰佰叁拾肆元零伍分". Returns -EINVAL for a negative amount
 * and -E2BIG when it needs more than outsz bytes (128 always suffice). */
int pdf_format_yuan_capitals(char *out, size_t outsz, int64_t fen);
/* Beijing time (UTC+8) "2024-06-15 10:30:00"; needs 20 bytes. */
void pdf_format_time(char *out, size_t outsz, int64_t unix_seconds);

#endif
