"""省内转考申请 in the browser (handbook 003): from the personal centre's
entry to the form (origin shown, destination city, then its district), the
check-your-answers page, the submit and the detail that says what happens
next; a refusal shown next to the field it names; withdrawing before the
district decides."""
import pytest

import zikao_harness as h
from zikao_browser import CAPTCHA, candidate


@pytest.fixture
def open_window(db):
    for kind, name in [("transfer_in_province", "省内转考"), ("transfer_out", "转出省外")]:
        h.q(db, "DELETE FROM windows WHERE kind = %s", kind)
        h.q(db, "INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES "
                "(%s, '2026-2', %s, now() - interval '1 day', now() + interval '1 day')",
            kind, "2026年下半年" + name)


def login(web, who, then):
    web.open("/login.html?next=" + then)
    web.type("身份证号或准考证号", who)
    web.type("密码", "abcd1234")
    web.type("图形验证码", CAPTCHA)
    web.click("登录")
    web.wait(lambda: web.url_path() == then, f"the way back to {then}")


def test_a_candidate_applies_checks_the_answers_submits_prints_and_withdraws(
        web, web_server, db, open_window, make_worker):
    make_worker("pdf", 1)
    idn, _ = candidate(web_server, db, name="孙七")
    login(web, idn, "/me/")
    web.open("/me/")
    web.wait_text("省内转考")
    web.driver.find_element("css selector", "a[href='/me/transfer.html']").click()
    web.wait_text("转入市")
    assert web.sees("太原市小店区")
    web.select("转入市", "大同市")
    web.wait(lambda: "新荣区" in web.options("转入后的考籍管理区县"), "the districts of 大同市")
    web.select("转入后的考籍管理区县", "新荣区")
    web.type("备注（选填）", "工作调动")
    web.click("下一步")
    web.wait_text("核对转考信息")
    assert web.sees("大同市") and web.sees("新荣区") and web.sees("工作调动")
    web.check("confirm")
    web.click("提交申请")
    web.wait_text("已提交，待原属区县审核")
    assert web.sees("原属考籍管理区县招办审核您的申请")
    name, pdf = web.download("下载省内转考申请信息详情（PDF）")
    assert name.endswith(".pdf") and pdf.startswith(b"%PDF-")
    web.check("submitted")
    web.click("撤回申请")
    web.wait_text("转考申请已撤回")
    assert web.sees("已撤回")
    cid = h.q1(db, "SELECT id FROM candidates WHERE id_number = %s", idn)
    assert h.q1(db, "SELECT state FROM applications WHERE candidate_id = %s", cid) == "withdrawn"


def test_the_district_it_already_is_is_refused_next_to_the_field(web, web_server, db,
                                                                  open_window):
    idn, _ = candidate(web_server, db, name="周八")
    login(web, idn, "/me/transfer.html")
    web.select("转入市", "太原市")
    web.wait(lambda: "小店区" in web.options("转入后的考籍管理区县"), "the districts of 太原市")
    web.select("转入后的考籍管理区县", "小店区")
    web.click("下一步")
    web.wait_text("核对转考信息")
    web.click("提交申请")
    assert "就是您现在的考籍管理区县" in web.error_for("转入后的考籍管理区县")
    assert web.value("转入市") == "140100"  # what was chosen stays
    web.check("refused")


def test_outside_the_window_the_page_says_when_it_opens(web, web_server, db):
    h.q(db, "DELETE FROM windows WHERE kind = 'transfer_in_province'")
    h.q(db, "INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES "
            "('transfer_in_province', '2027-1', '2027年上半年省内转考', now() + interval '10 days', "
            "now() + interval '20 days')")
    idn, _ = candidate(web_server, db, name="吴九")
    login(web, idn, "/me/transfer.html")
    web.wait_text("不在省内转考申请时间内")
    assert web.sees("2027年上半年省内转考")


def test_a_transfer_out_is_applied_for_and_once_approved_its_certificate_printed(
        web, web_server, db, open_window, make_worker):
    idn, exam_id = candidate(web_server, db, name="郑十")
    cid = h.q1(db, "SELECT id FROM candidates WHERE id_number = %s", idn)
    h.q(db, "INSERT INTO passed_courses (candidate_id, exam_id, course_code, course_name, score, "
            "credits, passed_on) VALUES (%s, %s, '00018', '计算机应用基础', '85', 2, '2024-04-13')",
        cid, exam_id)
    login(web, idn, "/me/transfer-out.html")
    web.select("转入省份", "北京市")
    assert "山西省" not in web.options("转入省份")
    web.type("转出原因", "随家庭迁往北京")
    web.click("下一步")
    web.wait_text("核对转出信息")
    assert web.sees("北京市") and web.sees("随家庭迁往北京")
    web.click("提交申请")
    web.wait_text("已提交，待省考试机构审核")
    assert not web.sees("下载省际转出证明")
    app = h.q1(db, "SELECT id FROM applications WHERE candidate_id = %s", cid)
    h.q(db, "SELECT application_transition(%s, 'approve', 'staff', NULL, NULL, NULL)", app)
    make_worker("pdf", 1)
    web.open("/me/transfer-out.html")
    web.wait_text("审核通过")
    name, pdf = web.download("下载省际转出证明（PDF）")
    assert name.endswith(".pdf") and pdf.startswith(b"%PDF-")
    web.check("approved")
