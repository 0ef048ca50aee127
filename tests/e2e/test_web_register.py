"""New-candidate registration as a person does it on a phone: from the home page,
the form with its SMS code, 确认关键信息, an error sending them back with what
they typed, then the confirmation and the personal centre."""
import re

import zikao_harness as h
from zikao_browser import CAPTCHA


def fill_form(web, db, idn, phone):
    web.type("身份证号", idn)
    web.type("姓名", "赵敏")
    web.type("登录密码", "kaoshi2026")
    web.type("再次输入登录密码", "kaoshi2026")
    web.select("考籍管理区县", "迎泽区")
    web.type("手机号码", phone)
    web.type("图形验证码", CAPTCHA)
    web.click("获取验证码")
    web.wait_text("分钟内有效")
    assert web.focused() == "短信验证码"
    waiting = [b for b in web.buttons() if re.fullmatch(r"\d+ 秒后重发", b[0])]
    assert waiting and not waiting[0][1]                  # the resend waits, counting down
    web.type("短信验证码", h.sms_code(db, phone, "register"))


def test_register_from_the_home_page_to_the_personal_centre(web, db):
    idn = h.id_number(birth="19980412", seq="215")
    web.open("/")
    web.click("新考生注册")
    web.wait_text("第 1 步，共 3 步")
    web.click("下一步")                                   # nothing typed: said, not sent
    assert web.error_for("身份证号") == "请填写身份证号"
    assert web.error_for("考籍管理区县") == "请选择考籍管理区县"
    assert web.focused() == "提交未成功"
    web.check("empty")
    fill_form(web, db, idn, "13900000215")
    web.type("再次输入登录密码", "kaoshi2062")             # a slip the server will catch
    web.click("下一步")
    web.wait_text("确认关键信息")
    assert web.sees("第 2 步，共 3 步")
    assert web.focused() == "确认关键信息"
    for seen in (idn, "赵敏", "太原市 迎泽区", "13900000215"):
        assert web.sees(seen)
    web.check("confirm")
    web.click("确认注册")
    assert web.error_for("再次输入登录密码") == "两次输入的密码不一致"
    assert web.sees("第 1 步，共 3 步")
    assert web.value("身份证号") == idn and web.value("姓名") == "赵敏"
    assert web.value("短信验证码") != ""                   # the code is kept for the retry
    web.check("back-with-error")
    web.type("再次输入登录密码", "kaoshi2026")
    web.click("下一步")
    web.click("确认注册")
    web.wait_text("注册成功")
    assert web.sees("接下来：完成身份认证")
    assert web.sees("太原市 迎泽区")                        # where to go if it keeps failing
    assert web._clickable("各区县招办联系方式").get_attribute("href").endswith("/offices.html")
    assert web.sees("退出")                                # logged in: the header says so
    web.check("done")
    web.click("进入个人中心")
    web.wait_text("完成身份认证后才能办理业务")
    assert web.sees("赵敏") and web.sees(idn[:4] + "*" * 10 + idn[-4:])
    assert web.sees("通过身份认证后显示")
    assert web._clickable("去身份认证").get_attribute("href").endswith("/me/identity.html")


def test_an_id_number_with_an_account_is_told_after_the_sms_code(web, web_server, db):
    from zikao_browser import candidate
    idn, _ = candidate(web_server, db, phone="13900000216")
    web.open("/register.html")
    fill_form(web, db, idn, "13900000217")
    web.click("下一步")
    web.click("确认注册")
    assert "已注册" in web.error_for("身份证号")
    assert "考籍管理区县" in web.summary()
    web.check("id-number-registered")
    web.click("去登录")
    web.wait_text("考生登录")


def test_tianjin_offers_its_own_districts_and_names_its_office(make_server, make_web):
    from zikao_browser import WEB_ENV
    server = make_server(env=dict(WEB_ENV, ZIKAO_PROFILE_PROVINCE="tianjin"))
    web = make_web(server)
    web.open("/register.html")
    web.select("考籍管理区县", "滨海新区")                 # a district of 天津市, not of Shanxi
    assert web.sees("天津市教育招生考试院")
    assert "和平区" in web.options("考籍管理区县") and "小店区" not in web.options("考籍管理区县")
