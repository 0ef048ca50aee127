/*
 * pdf_fixtures.c - fixture documents for tests and the benchmark (see
 * pdf_fixtures.h). All people, numbers and transactions are fictional; ID
 * numbers carry valid GB 11643 check digits.
 */
#include "pdf_fixtures.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PDF_TEST_DATA
#error "PDF_TEST_DATA must name the tests/data folder"
#endif

static const struct pdf_meta fixture_meta = {
    .office_name = FIXTURE_OFFICE,
    .province = "山西省",
    .generated_at = FIXTURE_GENERATED_AT,
    .serial = 12345,
};

unsigned char *fixture_photo(size_t *len)
{
    FILE *f = fopen(PDF_TEST_DATA "/photo.jpg", "rb");
    unsigned char *buf = NULL;
    long n;
    *len = 0;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n);
        if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            *len = (size_t)n;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

static const struct pdf_resume_entry fixture_resume[] = {
    {"2010-09", "2013-07", "山西省太原市第五中学 学习", "学生", "王建国"},
    {"2013-09", "2016-07", "山西职业技术学院法律事务专业 学习", "学生", "李文华"},
    {"2016-08", "2019-12", "山西晋阳科技有限公司法务部 工作", "法务助理", "赵志刚"},
    {"2020-01", "至今", "山西晋阳科技有限公司法务部 工作", "法务专员", "赵志刚"},
};

static const char fixture_self_assessment[] =
    "本人自二〇一九年报考高等教育自学考试法学（本科）专业以来，始终坚持工作与学习两不误，"
    "利用业余时间系统学习了宪法学、民法学、刑法学、民事诉讼法学、国际法、知识产权法等课程，"
    "按照专业计划的要求完成了全部课程的学习与考试，并通过了毕业论文的撰写与答辩。\n"
    "在思想上，我积极向党组织靠拢，认真学习党的路线方针政策，遵纪守法，诚实守信，"
    "严格遵守考试纪律，从未有任何违纪行为。在学习上，我制订了切实可行的学习计划，"
    "坚持每天阅读教材、整理笔记，遇到疑难问题主动向老师和同事请教，"
    "逐步建立了较为完整的法学知识体系，并能够把所学知识运用到合同审查、纠纷调解等日常工作中。\n"
    "在工作上，我踏实肯干，团结同事，先后参与公司多项合同谈判与合规审查工作，"
    "得到了领导和同事的肯定。自学考试培养了我自律、坚韧的品质，"
    "也让我认识到学无止境。今后我将继续努力学习，不断提高自身的专业水平和综合素质，"
    "为社会作出更大的贡献。";

void fixture_graduate_form(struct pdf_graduate_form *f, const unsigned char *photo, size_t len)
{
    memset(f, 0, sizeof(*f));
    f->meta = fixture_meta;
    f->name = "张晓明";
    f->gender = "男";
    f->birth_date = "1995-03";
    f->ethnicity = "汉族";
    f->political_status = "共青团员";
    f->native_place = "山西省太原市";
    f->id_number = "140105199503151230";
    f->exam_id = "080105408130";
    f->major_code = "030101K";
    f->major_name = "法学";
    f->level = "本科";
    f->university = "山西大学";
    f->district = "太原市小店区";
    f->work_unit = "山西晋阳科技有限公司";
    f->address = "山西省太原市小店区长风街100号";
    f->postcode = "030006";
    f->phone = "13812345678";
    f->email = "zhangxm@example.com";
    f->prior_level = "专科";
    f->prior_school = "山西职业技术学院";
    f->prior_major = "法律事务";
    f->prior_graduated = "2016-07";
    f->prior_cert_no = "123451201605001234";
    f->resume = fixture_resume;
    f->resume_count = sizeof(fixture_resume) / sizeof(fixture_resume[0]);
    f->self_assessment = fixture_self_assessment;
    f->photo = photo;
    f->photo_len = len;
}

static const struct pdf_course ncre_courses[] = {
    {"00018", "计算机应用基础"},
    {"00019", "计算机应用基础(实践)"},
};
static const struct pdf_course cet_courses[] = {
    {"00015", "英语(二)"},
};
static const struct pdf_exemption_cert fixture_certs[] = {
    {"全国计算机等级考试(NCRE)NCRE一级及以上合格证书", "2019-09", "一级计算机基础及MS Office应用",
     "191914010001234", ncre_courses, 2},
    {"全国大学英(日)语等级考试四级及以上证书或成绩单", "2018-12", "大学英语四级", "182140100203112",
     cet_courses, 1},
};

void fixture_exemption(struct pdf_exemption_detail *e)
{
    memset(e, 0, sizeof(*e));
    e->meta = fixture_meta;
    e->meta.serial = 20001;
    e->name = "李红";
    e->gender = "女";
    e->id_number = "140102199608224564";
    e->exam_id = "010123100003";
    e->exam_area = "太原市";
    e->majors[0] = "020204 会计";
    e->majors[1] = "030106 法律";
    e->landline = "0351-7654321";
    e->mobile = "13912345678";
    e->confirm_point = "太原市招生考试中心免考确认点";
    e->certs = fixture_certs;
    e->cert_count = 2;
    e->status = "被退回";
    e->return_reason = "证书照片不清晰，请重新上传";
    e->submitted_at = 1715389920; /* 2024-05-11 09:12:00 */
}

void fixture_transfer(struct pdf_transfer_detail *t)
{
    memset(t, 0, sizeof(*t));
    t->meta = fixture_meta;
    t->meta.serial = 30001;
    t->name = "王强";
    t->gender = "男";
    t->id_number = "140203199001017894";
    t->exam_id = "060207300021";
    t->kind = NULL; /* 省内转考 */
    t->from_city = "大同市";
    t->to_city = "太原市";
    t->applied_at = 1709621130; /* 2024-03-05 14:45:30 */
    t->remarks = "工作调动";
    t->status = "已提交";
}

void fixture_receipt(struct pdf_receipt *r)
{
    memset(r, 0, sizeof(*r));
    r->meta = fixture_meta;
    r->meta.serial = 40001;
    r->order_no = "BY202406010000123";
    r->purpose = "2024年上半年高等教育自学考试毕业申请费";
    r->payer_name = "张晓明";
    r->exam_id = "080105408130";
    r->id_number = "140105199503151230";
    r->amount_fen = 6000;
    r->pay_method = "微信支付";
    r->provider_txn_id = "4200002024060112345678901234";
    r->created_at = 1717200312; /* 2024-06-01 08:05:12 */
    r->paid_at = 1717200400;    /* 2024-06-01 08:06:40 */
    r->note = "毕业申请费缴纳后不予退还。";
}

char *fixture_long_text(size_t nchars)
{
    static const char *const pool[] = {
        "本人在自学考试期间严格遵守考试纪律，认真完成每一门课程的学习",
        "工作之余坚持阅读教材并整理笔记，遇到疑难问题主动向老师请教",
        "通过系统学习，掌握了本专业的基础理论、基本知识和基本技能",
        "在单位积极承担合同审查与纠纷调解工作，把所学知识运用于实践",
        "自学考试培养了自律、坚韧的品质，也让我认识到学无止境",
    };
    GString *s = g_string_new(NULL);
    size_t chars = 0;
    for (unsigned i = 1; chars < nchars; i++) {
        char *sentence = g_strdup_printf("（第%u句）%s。", i, pool[i % 5]);
        g_string_append(s, sentence);
        chars += g_utf8_strlen(sentence, -1);
        g_free(sentence);
        if (i % 9 == 0) {
            g_string_append_c(s, '\n');
            chars++;
        }
    }
    /* Cut to exactly nchars characters, ending on a full stop. */
    const char *end = g_utf8_offset_to_pointer(s->str, (glong)nchars - 1);
    g_string_truncate(s, (gsize)(end - s->str));
    g_string_append(s, "。");
    char *out = strdup(s->str);
    g_string_free(s, TRUE);
    return out;
}
