"""免考申请 in the browser (handbook 002): the confirmation point and majors,
adding a certificate with its courses and photo (checked by the real photo
worker), 免考申请信息确认, the submit and the detail; the point's return shown
as 被退回（退回原因：…） with 重新申请, and the re-application submitted again.
A refusal of the API is shown next to the field it names."""
import os
import shutil
import subprocess

import pytest

import zikao_harness as h
from zikao_browser import CAPTCHA, candidate


@pytest.fixture
def catalogue(db):
    h.q(db, "DELETE FROM windows WHERE kind = 'exemption'")
    h.q(db, "INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES ('exemption', "
            "'2026-2', '2026年下半年免考申请', now() - interval '1 day', now() + interval '1 day')")
    h.q(db, "INSERT INTO confirmation_points (name, district, address, phone, hours) VALUES "
            "('小店区免考确认点', '140105', '太原市小店区示例路 15 号', '0351-000105', "
            "'工作日 8:30-17:30')")
    for code, name in [("080702", "计算机及应用"), ("020204", "会计")]:
        h.q(db, "INSERT INTO majors (code, name, level) VALUES (%s, %s, '本科') "
                "ON CONFLICT (code) DO NOTHING", code, name)
    for code, name in [("00018", "计算机应用基础"), ("00019", "计算机应用基础(实践)")]:
        h.q(db, "INSERT INTO courses (code, name, credits) VALUES (%s, %s, 2) "
                "ON CONFLICT (code) DO NOTHING", code, name)
    h.q(db, "INSERT INTO exemption_certificates (code, title, seq, source) VALUES "
            "('ncre1', '全国计算机等级考试(NCRE)NCRE一级及以上合格证书', 1, '示例数据'), "
            "('cet4', '全国大学英(日)语等级考试四级及以上证书或成绩单', 2, '示例数据')")
    h.q(db, "INSERT INTO exemption_certificate_courses (certificate, major_code, course_code) "
            "VALUES ('ncre1', NULL, '00018'), ('ncre1', NULL, '00019')")


def certificate_jpeg():
    if shutil.which("vips") is None:
        pytest.skip("SKIP: the vips command is not installed (package libvips-tools)")
    d = os.path.join(h.BUILD, "test-jpegs")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "certificate-1000x700.jpg")
    if not os.path.exists(path):
        subprocess.run(["vips", "gaussnoise", f"{path}[Q=85]", "1000", "700"], check=True)
    return path


def login(web, who, then):
    web.open("/login.html?next=" + then)
    web.type("身份证号或准考证号", who)
    web.type("密码", "abcd1234")
    web.type("图形验证码", CAPTCHA)
    web.click("登录")
    web.wait(lambda: web.url_path() == then, f"the way back to {then}")


def choose(web):
    web.select("免考确认点", "太原市小店区 小店区免考确认点")
    web.wait_text("太原市小店区示例路 15 号")
    web.select("第一个专业", "080702 计算机及应用（本科）")
    web.click("下一步")
    web.wait_text("免考申请证书课程填报")


def test_apply_with_a_certificate_submit_get_returned_and_reapply_once(
        web, web_server, db, catalogue, make_worker):
    if not os.path.isdir(h.MODELS):
        pytest.skip(f"SKIP: face models not found at {h.MODELS} (the photo worker loads them)")
    make_worker("photo", 1, {"ZIKAO_PATHS_MODELS_DIR": h.MODELS, "OPENBLAS_NUM_THREADS": "1"})
    make_worker("pdf", 1)
    idn, _ = candidate(web_server, db, name="冯一")
    login(web, idn, "/me/exemption.html")
    web.wait_text("免考申请信息填报")
    choose(web)
    assert web.sees("还没有添加证书")
    web.click("新增免考课程")
    web.wait_text("新增免考课程")
    web.select("证书", "全国计算机等级考试(NCRE)NCRE一级及以上合格证书")
    web.wait_text("00018 计算机应用基础")
    web.type("考试时间", "2019-09")
    web.type("考试科目", "一级计算机基础及MS Office应用")
    web.tick("00018 计算机应用基础")
    web.tick("00019 计算机应用基础(实践)")
    web.check("add")
    web.upload("证书照片", certificate_jpeg(), "确定")
    web.wait_text("免考申请证书课程填报")
    web.wait_text("检查通过", timeout=60)
    assert web.sees("查看照片") and web.sees("00019 计算机应用基础(实践)")
    web.check("list")
    web.click("下一步")
    web.wait_text("免考申请信息确认")
    assert web.sees("小店区免考确认点") and web.sees("080702 计算机及应用")
    web.check("confirm")
    web.click("提交")
    web.wait_text("已提交，待确认点确认")
    name, pdf = web.download("下载免考申请信息详情（PDF）")
    assert pdf.startswith(b"%PDF-")
    web.check("submitted")

    cid = h.q1(db, "SELECT id FROM candidates WHERE id_number = %s", idn)
    app = h.q1(db, "SELECT id FROM applications WHERE candidate_id = %s", cid)
    # The point's return, as its decision makes it (review.c: the item, then the hook).
    h.q(db, "UPDATE review_items SET state = 'returned', reason = '证书照片不清晰', closed_at = now() "
            "WHERE kind = 'exemption' AND subject = %s AND state = 'open'", app)
    h.q(db, "SELECT exemption_review_apply(id, 'return', NULL) FROM review_items "
            "WHERE kind = 'exemption' AND subject = %s", app)
    web.open("/me/exemption.html")
    web.wait_text("被退回（退回原因：证书照片不清晰）")
    web.check("returned")
    web.click("重新申请")
    web.wait_text("免考申请信息填报")
    assert web.value("第一个专业") == "080702"  # what was submitted comes back to change
    web.click("下一步")
    web.wait_text("免考申请证书课程填报")
    web.click("下一步")
    web.wait_text("免考申请信息确认")
    web.click("提交")
    web.wait_text("已提交，待确认点确认")
    assert "重新申请" not in [text for text, _ in web.buttons()]


def test_a_refusal_is_shown_in_the_step_that_has_the_field(web, web_server, db, catalogue):
    idn, _ = candidate(web_server, db, name="陈二")
    login(web, idn, "/me/exemption.html")
    web.wait_text("免考申请信息填报")
    web.select("免考确认点", "太原市小店区 小店区免考确认点")
    web.select("第一个专业", "080702 计算机及应用（本科）")
    web.select("第二个专业（选填）", "080702 计算机及应用（本科）")
    web.click("下一步")
    web.wait_text("免考申请证书课程填报")
    web.click("下一步")
    web.wait_text("免考申请信息确认")
    web.click("提交")
    assert "两个专业不能相同" in web.summary()
    assert web.sees("免考申请信息填报")  # back at the step that has the majors
    assert web.driver.execute_script(
        "return document.querySelector('#majors').textContent").count("两个专业不能相同") == 1
    web.check("refused")


def test_the_personal_centre_links_the_open_exemption_window(web, web_server, db, catalogue):
    idn, _ = candidate(web_server, db, name="褚三")
    login(web, idn, "/me/")
    web.wait(lambda: web.driver.find_elements("css selector", "a[href='/me/exemption.html']"),
             "the link to the exemption page")
