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
