"""毕业申请 as a candidate does it in the browser (handbooks 001 六, 004 十): the
status page with the window, the draft one question page at a time (saved on
the server at every 下一步), the check-your-answers page whose refusal names
the field and leads back to its step, the confirmation; Shanxi's graduation
photo checked by the real photo worker to approval, the fee paid through the
payment simulator, the 毕业生登记表 filled in and exported as PDF by the pdf
worker; Tianjin's submit that goes straight to paying.

The test major is test_graduation's (990101 测试专业, 专科: 99001 and 99002
required; main university 99901)."""
import os

import pytest

import zikao_harness as h
import test_graduation as g
from test_graduation import major  # noqa: F401  (autouse: the test major)
from zikao_browser import CAPTCHA, WEB_ENV, candidate

WAIT = 120  # the workers' time to a verdict: waited for, never measured


@pytest.fixture
def keydir(pg, database, redis_server, tmpdir_path):
    d = os.path.join(tmpdir_path, "paykeys")
    h.zikaoctl(pg.conninfo(database), redis_server.port, "payments", "keygen", "--dir", d)
    return d


@pytest.fixture
def offices(pg, database, redis_server):
    """The demo district offices (their contacts show on the pages)."""
    h.zikaoctl(pg.conninfo(database), redis_server.port, "districts", "import",
               os.path.join(h.SOURCE, "schema/data/demo/district_offices.csv"))


@pytest.fixture
def web_server(make_server, keydir, offices):
    """Page server with the payment simulator's keys (the simulator is the default)."""
    return make_server(env=dict(WEB_ENV, ZIKAO_PAYMENT_KEY_DIR=keydir))


def graduate_to_be(server, db, district="140105", name="赵敏"):
    """A verified candidate of `district` who passed both courses of the test major."""
    idn, exam_id = candidate(server, db, name=name, district=district)
    cid = h.q1(db, "SELECT id FROM candidates WHERE id_number = %s", idn)
    for code in ("99001", "99002"):
        h.q(db, "INSERT INTO passed_courses (candidate_id, exam_id, course_code, course_name, "
                "score, credits, passed_on) SELECT %s, %s, code, name, '75', credits, "
                "'2025-04-20' FROM courses WHERE code = %s", cid, exam_id, code)
    return idn


def login(web, who, then):
    web.open("/login.html?next=" + then)
    web.type("身份证号或准考证号", who)
    web.type("密码", "abcd1234")
    web.type("图形验证码", CAPTCHA)
    web.click("登录")
    web.wait(lambda: web.url_path() == then, f"the way back to {then}")


def test_a_shanxi_candidate_fixes_the_refused_field_and_submits_the_application(
        web, web_server, db):
    g.window(db)
    idn = graduate_to_be(web_server, db)
    login(web, idn, "/me/")
    web.click("去办理")                                     # 快捷入口: the graduation window
    web.wait_text("毕业申请现在开放")
    web.click("开始申请")
    web.wait_text("第 1 步，共 5 步")
    web.select("受理毕业申请的县区招办", "小店区")
    web.wait_text("办公时间")                               # the office's contact
    assert web.sees("请先到您的考籍管理区县更正")
    web.type("通讯地址", "太原市小店区坞城路 92 号")
    web.tick("我已核对，姓名、身份证号、准考证号、性别和照片无误")
    web.check("basics")
    web.click("下一步")
    web.wait_text("第 2 步，共 5 步")
    for u in ("99901 测试大学", "99902 另一所大学"):
        web.tick(u)
    web.select("申请毕业的专业", "990101 测试专业（专科）")
    web.check("school")
    web.click("下一步")
    web.wait_text("第 3 步，共 5 步")
    web.wait_text("专业计划完成情况")
    web.check("audit")
    # The draft is on the server: a new visit resumes at the step reached.
    web.open("/me/graduation.html")
    web.click("继续填写申请")
    web.wait_text("已从上次保存的地方继续")
    assert web.sees("第 3 步，共 5 步")
    web.click("下一步")
    web.wait_text("核对您的申请")
    assert web.sees("太原市小店区坞城路 92 号") and web.sees("990101 测试专业（专科）")
    web.check("check")
    web.click("提交申请")
    summary = web.summary()
    assert "主考院校" in summary and "返回第 2 步修改" in summary
    web.check("refused")
    web.click("返回第 2 步修改")
    web.wait_text("第 2 步，共 5 步")
    assert "主考院校" in web.driver.execute_script(
        "return document.querySelector('#universities .field-error').textContent")
    web.check("refusal-at-its-field")
    web.tick("99902 另一所大学", on=False)
    web.click("下一步")
    web.wait_text("第 3 步，共 5 步")
    web.click("下一步")
    web.wait_text("核对您的申请")
    web.click("提交申请")
    web.wait_text("毕业申请已提交")
    assert web.sees("待上传毕业照片") and web.sees("上传毕业照片")
    web.check("done")


def submitted(server, db, idn, **changes):
    """The candidate's graduation application, made and submitted through the API."""
    cid = h.q1(db, "SELECT id FROM candidates WHERE id_number = %s", idn)
    c = g.client(server, cid)
    path = g.applied(c, g.draft(**changes))
    r = c.post(path + "/submit")
    assert r.status == 200, r.json()
    return r.json()["id"]


def test_a_shanxi_candidate_uploads_the_photo_pays_and_exports_the_graduate_form(
        web, web_server, db, photos, make_worker, keydir):
    make_worker("photo", 1, {"ZIKAO_PATHS_MODELS_DIR": h.MODELS,
                             "ZIKAO_PROFILE_PROVINCE": "shanxi", "OPENBLAS_NUM_THREADS": "1"})
    make_worker("payment", 1, {"ZIKAO_PAYMENT_KEY_DIR": keydir,
                               "ZIKAO_PAYMENT_PUBLIC_URL": f"http://127.0.0.1:{web_server.port}"})
    make_worker("pdf", 1)
    g.window(db)
    idn = graduate_to_be(web_server, db)
    submitted(web_server, db, idn)
    login(web, idn, "/me/graduation.html")
    web.wait_text("待上传毕业照片")
    web.click("上传毕业照片")
    web.wait_text("您的毕业照片")
    photos("sx_reg_sheldon.jpg")  # made, or the test skips
    web.upload("选择毕业照片", os.path.join(photos.dir, "sx_reg_sheldon.jpg"), "上传照片")
    web.wait_text("正在检查照片")
    web.check("checking")
    web.wait_text("全部通过", timeout=WAIT)
    web.wait_text("审核通过，待缴费")                       # no person needed: approved
    assert not web.sees("选择毕业照片")                     # nothing more to upload
    web.check("approved")
    web.click("去缴费")
    web.wait_text("请核对")
    assert web.sees("50.00 元") and web.sees("不予退还")
    web.tick("支付宝")
    web.click("确认支付")
    web.wait_text("支付宝（模拟）收银台")
    web.click("确认付款")
    web.wait_text("支付成功")
    web.click("返回商户")
    web.wait_text("已收到您的付款", timeout=60)
    web.check("paid")
    web.click("继续办理毕业申请")
    web.wait_text("已缴费")
    web.click("填写毕业生登记表")
    web.wait_text("个人简历")
    assert web.sees("赵敏") and web.sees("990101 测试专业")   # the records' part, read-only
    web.type("籍贯", "山西省太原市")
    web.type("工作单位", "太原市某某公司")
    web.type("起始年月", "2012-09")
    web.type("终止年月", "2015-07")
    web.type("在何地、何单位学习或工作", "太原市第五中学 学习")
    web.click("添加一段经历")
    row2 = web.driver.switch_to.active_element
    row2.send_keys("2016-08")
    web.type("自我鉴定", "本人遵纪守法，刻苦学习。")
    web.click("保存")
    assert "个人简历第 2 行" in web.summary()                # the second row is half filled
    web.check("refused")
    web.click("删除第 2 段经历")
    web.click("保存")
    web.wait_text("已保存（")
    web.click("保存并导出 PDF")
    web.wait_text("下载毕业生登记表（PDF）", timeout=60)
    name, data = web.download("下载毕业生登记表（PDF）")
    assert data.startswith(b"%PDF") and name.endswith(".pdf")
    web.check("exported")


def test_a_tianjin_candidate_submits_and_is_sent_to_pay_at_once(make_server, make_web, db,
                                                                 keydir, offices):
    server = make_server(env=dict(WEB_ENV, ZIKAO_PAYMENT_KEY_DIR=keydir,
                                  ZIKAO_PROFILE_PROVINCE="tianjin"))
    g.window(db)
    idn = graduate_to_be(server, db, district="120101", name="孙丽")
    cid = h.q1(db, "SELECT id FROM candidates WHERE id_number = %s", idn)
    jpeg = b"\xff\xd8\xff\xe0" + b"reg" * 100                # the identity photo, reused
    fid = h.q1(db, "INSERT INTO files (candidate_id, content_type, size, sha256, data) VALUES "
                   "(%s, 'image/jpeg', %s, repeat('1', 64), %s) RETURNING id", cid, len(jpeg), jpeg)
    h.q(db, "INSERT INTO identity_photos (candidate_id, kind, file_id) VALUES "
            "(%s, 'registration', %s)", cid, fid)
    web = make_web(server)
    login(web, idn, "/me/graduation.html")
    web.wait_text("毕业申请现在开放")
    web.check("status")
    web.click("开始申请")
    web.wait_text("第 1 步，共 5 步")
    assert not web.sees("通讯地址")                          # Tianjin asks for none
    web.select("受理毕业申请的县区招办", "和平区")
    web.tick("我已核对，姓名、身份证号、准考证号、性别和照片无误")
    web.click("下一步")
    web.tick("99901 测试大学")
    web.select("申请毕业的专业", "990101 测试专业（专科）")
    web.click("下一步")
    web.wait_text("专业计划完成情况")
    assert web.sees("其他证明材料")                          # Tianjin's material slot
    web.check("audit")
    web.click("下一步")
    web.wait_text("核对您的申请")
    web.click("提交申请")
    web.wait_text("毕业申请已提交")
    assert web.sees("待缴费") and web.sees("不予退还")
    web.check("done")
    web.click("去缴费")
    web.wait_text("请核对")
    assert web.sees("60.00 元")
