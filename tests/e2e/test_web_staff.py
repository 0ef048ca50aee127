"""The staff console as people use it: a province administrator signs in with a
code from the authenticator app and makes a district officer; the officer
signs in for the first time (binds the authenticator with the QR code, replaces
the temporary password), approves one identity review item and refuses
another with a reason, and the candidates see the outcome; the province
publishes a notice with a PDF and a candidate's home page shows it."""
import os
import re

import zikao_harness as h
from zikao_browser import CAPTCHA, candidate
from test_staff import PASSWORD, attempt, b32decode, ctl, totp

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def staff_sign_in(web, username, password, code=None):
    web.open("/staff/login.html")
    web.type("用户名", username)
    web.type("密码", password)
    if code:
        web.type("动态验证码", code)
    web.click("登录")


def cand_login(web, login_id, password="abcd1234", then="/me/"):
    web.open("/login.html?next=" + then)
    web.type("身份证号或准考证号", login_id)
    web.type("密码", password)
    web.type("图形验证码", CAPTCHA)
    web.click("登录")


def test_an_officer_is_made_signs_in_and_decides_identity_reviews(make_web, web_server, db, pg,
                                                                  database, redis_server):
    r = ctl(pg, database, redis_server, "staff", "create-admin", "admin", "王管理",
            stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    secret = b32decode(r.stdout.split("secret")[1].split()[0])
    idn_ok, _ = candidate(web_server, db, h.id_number(seq="111"), name="赵一", verified=False,
                          phone="13800000011")
    idn_no, _ = candidate(web_server, db, h.id_number(seq="112"), name="钱二", verified=False,
                          phone="13800000012")
    ok_id = h.q1(db, "SELECT id FROM candidates WHERE id_number = %s", idn_ok)
    no_id = h.q1(db, "SELECT id FROM candidates WHERE id_number = %s", idn_no)
    attempt(db, ok_id)
    attempt(db, no_id)

    web = make_web(web_server)
    staff_sign_in(web, "admin", PASSWORD, totp(secret))
    web.wait_text("待办事项")
    items = h.q(db, "SELECT subject, state FROM review_items ORDER BY id")
    assert items == [(ok_id, "open"), (no_id, "open")], items
    assert "小店区\n2 件" in web.text()  # the chart, per office
    web.check("workbench")
    web.click("工作人员")
    web.wait_text("新建账号")
    web.type("用户名", "li.na")
    web.type("姓名", "李娜")
    web.select("角色", "县区招办")
    web.select("所属区县", "小店区")
    web.click("新建账号")
    web.wait_text("临时密码只显示这一次")
    temp = re.search(r"临时密码：\s*(\w{12})", web.text()).group(1)
    web.check("account made")
    web.click("退出")
    web.wait_text("您已安全退出")

    # the officer's first sign-in: no code yet, so the QR code, then a new password
    staff_sign_in(web, "li.na", temp)
    web.wait_text("绑定身份验证器")
    assert web.driver.execute_script(
        "return document.querySelector('[data-qr]').naturalWidth") > 0
    web.check("enrol")
    officer = b32decode(web.driver.find_element("css selector", "[data-secret]").text)
    web.type("验证器上的 6 位数字", totp(officer))
    web.click("完成绑定并登录")
    web.wait_text("设置新密码")
    web.type("新密码", "Officer2026")
    web.click("保存新密码")
    web.wait_text("待办事项")

    web.click("赵一")
    web.wait_text("照片与检查结果")
    assert "人脸比对" in web.text() and "距离 0.62" in web.text()
    web.check("item")
    web.click("认领此事项")
    web.wait_text("已认领")
    web.tick("通过（签发准考证号）")
    web.click("提交结论")
    web.wait_text("已通过 赵一 的身份核验")
    web.click("钱二")
    web.wait_text("照片与检查结果")
    web.tick("不通过")
    web.click("提交结论")
    web.wait_text("退回或不通过须写明原因")
    web.check("reason required")
    web.type("原因", "手持照片中的身份证与本人不符")
    web.type("下一步", "请本人携带身份证原件到小店区招办办理")
    web.click("提交结论")
    web.wait_text("已不通过 钱二 的身份核验")
    web.check("decided")

    # the candidates: one verified with an exam ID, the other told why
    person = make_web(web_server)
    cand_login(person, idn_ok)
    person.wait_text("个人中心")
    exam_id = h.q1(db, "SELECT exam_id FROM exam_ids WHERE candidate_id = %s", ok_id)
    assert exam_id and exam_id in person.text()
    c = h.Client(web_server)
    r = c.post("/api/v1/auth/login", {"login": idn_no, "password": "abcd1234",
                                      "captcha_id": c.captcha(), "captcha": CAPTCHA})
    review = c.get("/api/v1/me/identity").json()["review"]
    assert review["state"] == "refused" and review["reason"] == "手持照片中的身份证与本人不符"


def test_the_province_publishes_a_notice_with_a_pdf_and_candidates_see_it(make_web, web_server,
                                                                          db, pg, database,
                                                                          redis_server,
                                                                          tmpdir_path):
    r = ctl(pg, database, redis_server, "staff", "create-admin", "admin", "王管理",
            stdin=PASSWORD + "\n")
    secret = b32decode(r.stdout.split("secret")[1].split()[0])
    pdf = os.path.join(tmpdir_path, "2027年4月报考简章.pdf")
    with open(pdf, "wb") as f:
        f.write(PDF)
    web = make_web(web_server)
    staff_sign_in(web, "admin", PASSWORD, totp(secret))
    web.wait_text("待办事项")
    web.click("通知公告")
    web.wait_text("新建")
    web.select("类别", "报考简章")
    web.type("标题", "山西省2027年4月高等教育自学考试报考简章")
    web.type("正文", "报名时间：2027年3月1日至3月10日。\n请按时网上报名。")
    web.click("保存为草稿")
    web.wait_text("已保存草稿")
    web.upload("为“山西省2027年4月高等教育自学考试报考简章”添加 PDF 附件", pdf, "上传附件")
    web.wait_text("已为“山西省2027年4月高等教育自学考试报考简章”添加附件")
    web.click("发布")
    web.wait_text("考生在首页可以看到")
    web.check("published")

    person = make_web(web_server)
    person.open("/")
    person.wait_text("山西省2027年4月高等教育自学考试报考简章")
    person.check("home with notice")
    person.click("山西省2027年4月高等教育自学考试报考简章")
    person.wait_text("请按时网上报名。")
    person.check("notice")
    name, data = person.download("下载 2027年4月报考简章.pdf")
    assert name == "2027年4月报考简章.pdf" and data == PDF
