"""The personal centre's own pages as a candidate uses them: changing the password
(the other browser's session ends), changing the phone with an SMS code to the new
number, 合格成绩查询 with a major (是否使用), 毕业预审核 with a substitution refused
and then one accepted, and 专业计划查询 from the home page; a candidate whose
identity is not verified is told what to do."""
import os
import subprocess

import pytest

import zikao_harness as h
from zikao_browser import CAPTCHA, WEB_ENV, candidate

DEMO_PASSWORD = "Demo2026zk"
LIU_YANG = "140108199501010441"  # demo candidate 9000004: English II missing (old plan)


@pytest.fixture
def demo_server(make_server, pg, database):
    """A page server on the demo data (scripts/demo-data: majors, the 030101K plan,
    passed courses of candidates 9000001..), with 9000004's password set."""
    env = dict(os.environ, ZIKAO_DATABASE_CONNINFO=pg.conninfo(database))
    r = subprocess.run([os.path.join(h.SOURCE, "scripts/demo-data"), h.BUILD], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([h.binary("zikaoctl"), "candidates", "set-password", LIU_YANG],
                       env=env, input=DEMO_PASSWORD + "\n", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return make_server(env=WEB_ENV)


def login(web, who, password, then="/me/"):
    web.open("/login.html?next=" + then)
    web.type("身份证号或准考证号", who)
    web.type("密码", password)
    web.type("图形验证码", CAPTCHA)
    web.click("登录")
    web.wait(lambda: web.url_path() == then, f"the way back to {then}")


def test_changing_the_password_ends_the_other_browsers_session(web, web_server, make_web, db):
    idn, _ = candidate(web_server, db, name="孙丽")
    other = make_web(web_server)                       # the same person on another device
    login(other, idn, "abcd1234")
    other.wait_text("孙丽")
    login(web, idn, "abcd1234")
    web.click("修改密码")
    web.wait_text("其他手机或电脑上的登录都会退出")
    web.type("原密码", "wrong1234")
    web.type("新密码", "xinmima2026")
    web.type("再次输入新密码", "xinmima2026")
    web.click("确认修改")
    assert web.error_for("原密码") == "原密码不正确"
    assert "原密码不正确" in web.summary() and web.focused() == "提交未成功"
    assert web.value("新密码") == "xinmima2026"           # what was typed stays
    web.check("wrong-old-password")
    web.type("原密码", "abcd1234")
    web.click("确认修改")
    web.wait_text("密码已修改")
    assert web.sees("其他手机或电脑上的登录已经全部退出")
    web.check("done")
    other.open("/me/")                                  # the other device: logged out
    other.wait_text("请先登录")
    assert other.url_path().startswith("/login.html")
    web.click("返回个人中心")                              # this one stays logged in
    web.wait_text("孙丽")
    assert web.url_path() == "/me/"
    web.click("退出")
    web.wait_text("您已安全退出")
    login(web, idn, "xinmima2026")


def test_changing_the_phone_with_a_code_sent_to_the_new_number(web, web_server, db):
    idn, _ = candidate(web_server, db, phone="13800000041")
    login(web, idn, "abcd1234")
    web.click("修改手机号")
    web.wait_text("138****0041")
    web.type("新手机号码", "13900000042")
    web.type("图形验证码", CAPTCHA)
    web.click("获取验证码")
    web.wait_text("分钟内有效")
    assert web.focused() == "短信验证码"
    code = h.sms_code(db, "13900000042", "change_phone")
    web.type("短信验证码", f"{(int(code) + 1) % 1000000:06d}")
    web.click("确认修改")
    assert web.error_for("短信验证码")                    # a wrong code, said next to it
    assert web.value("新手机号码") == "13900000042"
    web.check("wrong-code")
    web.type("短信验证码", code)
    web.click("确认修改")
    web.wait_text("手机号已修改")
    assert web.sees("139****0042")
    web.check("done")
    web.click("返回个人中心")
    web.wait_text("139****0042")


def test_scores_with_a_major_say_which_courses_count(web, demo_server):
    login(web, LIU_YANG, DEMO_PASSWORD)
    web.click("合格成绩查询")
    web.wait_text("合格成绩")
    assert web.sees("00144") and web.sees("企业管理概论")
    assert web.sees("暂无本次考试成绩")
    assert not web.sees("是否使用：")                      # no major chosen: not known
    web.select("按专业查看是否使用", "030101K 法学（专升本）")
    web.click("查看")
    web.wait_text("尚未完成毕业所需课程")
    assert web.url_path() == "/me/scores.html?major=030101K"
    assert "是否使用" in web.text()
    web.check("with-major")
    web.click("查看专业计划完成情况（毕业预审核）")
    web.wait_text("毕业预审核")
    assert web.value("申请毕业的专业") == "030101K"


def test_precheck_with_a_substitution_refused_then_accepted(web, demo_server):
    login(web, LIU_YANG, DEMO_PASSWORD, then="/me/graduation-precheck.html")
    web.select("申请毕业的专业", "030101K 法学（专升本）")
    web.tick("旧计划（2016年1月1日起）")
    web.click("开始预审核")
    web.wait_text("尚未完成毕业所需课程")
    assert web.sees("缺少必考课程 00015 英语(二)")          # what is missing, and why
    assert web.sees("03709_马克思主义基本原理概论")          # satisfied, and by which pass
    assert web.focused() == "审核结果"
    web.check("incomplete")
    web.tick("00144 企业管理概论（5 学分）")
    web.tick("10791 建筑抗震设计（4 学分）")
    web.click("按所选顶替重新审核")
    summary = web.summary()
    assert "顶替规则 E2 不能使用" in summary and "至少需要 14 学分" in summary
    assert web.focused() == "提交未成功"
    assert web.sees("未采用的顶替")
    web.check("refused")
    web.tick("02628 管理经济学（5 学分）")
    web.click("按所选顶替重新审核")
    web.wait_text("已完成毕业所需课程")
    assert web.sees("已采用的顶替") and not web.sees("提交未成功")
    assert not web.sees("未满足的项目")
    web.check("accepted")


def test_major_plans_are_public_from_the_home_page(web, demo_server):
    web.open("/")
    web.click("专业计划查询")
    web.wait_text("共 ")
    web.click("法学")
    web.wait_text("030101K 法学")
    assert web.sees("新计划（2024年1月1日起）") and web.sees("旧计划（2016年1月1日起）")
    assert web.sees("基础课程") and web.sees("14081")
    assert web.sees("课程顶替规则") and web.sees("学分顶替（需选择课程）")
    web.check("plan")
    web.open("/majors.html?code=999999")
    web.wait_text("没有这个专业")
    assert web.sees("法学")                               # the list to choose from


def test_business_pages_tell_an_unverified_candidate_what_to_do(web, web_server, db):
    idn, _ = candidate(web_server, db, verified=False)
    login(web, idn, "abcd1234")
    for path in ("/me/scores.html", "/me/orders.html"):
        web.open(path)
        web.wait_text("请先完成身份认证")
        assert web.sees("去身份认证")
    web.check("identity-required")
    web.click("去身份认证")
    assert web.url_path() == "/me/identity.html"
