"""The login page, as a candidate uses it: wrong passwords until the lockout, the
keyboard alone, a double click, pages that need a login, logging out, and a
session that ended elsewhere."""
import pytest
from selenium.webdriver.common.keys import Keys

import zikao_harness as h
from zikao_browser import CAPTCHA, WEB_ENV, candidate


@pytest.fixture
def web_server(make_server):
    return make_server(env=dict(WEB_ENV, ZIKAO_AUTH_LOGIN_MAX_FAILURES="3"))


def fill_login(web, login, password):
    web.type("身份证号或准考证号", login)
    web.type("密码", password)
    web.type("图形验证码", CAPTCHA)


def test_wrong_passwords_lock_the_account_and_say_until_when(web, web_server, db):
    idn, _ = candidate(web_server, db)
    web.open("/")
    web.click("登录")
    web.wait_text("考生登录")
    fill_login(web, idn, "wrong1234")
    web.click("登录")
    assert "再错 2 次" in web.error_for("密码")
    assert "再错 2 次" in web.summary() and web.focused() == "提交未成功"
    assert web.value("身份证号或准考证号") == idn        # what was typed stays
    assert web.value("图形验证码") == ""                  # the used captcha is replaced
    web.check("wrong-password")
    web.type("图形验证码", CAPTCHA)
    web.click("登录")
    assert "再错 1 次" in web.error_for("密码")
    web.type("图形验证码", CAPTCHA)
    web.click("登录")
    assert "锁定至" in web.error_for("密码")
    assert "北京时间" in web.summary()
    web.check("locked")
    web.type("密码", "abcd1234")                          # the right password waits too
    web.type("图形验证码", CAPTCHA)
    web.click("登录")
    web.wait(lambda: "锁定至" in web.error_for("密码") and "连续错误" not in web.summary(),
             "the lockout repeated for the right password")
    assert web.url_path().startswith("/login.html")
    web.click("找回密码")                                  # the summary's way out
    web.wait_text("设置新密码")


def test_login_with_the_keyboard_alone(web, web_server, db):
    idn, exam_id = candidate(web_server, db, name="李四")
    web.open("/login.html")
    passed = web.tab_to("身份证号或准考证号")
    assert passed[0] == "跳到正文"                          # the first stop skips the header
    web.press(exam_id)
    passed = web.tab_to("密码")
    assert passed == ["密码"]
    web.press("abcd1234", Keys.TAB)
    assert web.focused() == "图形验证码"
    web.press(CAPTCHA)
    web.press(Keys.TAB)
    assert web.focused() == "换一张"
    web.press(Keys.TAB)
    assert web.focused() == "登录"
    web.press(Keys.ENTER)
    web.wait_text("个人中心")
    web.wait_text("李四")
    assert web.url_path() == "/me/"


def test_a_double_click_logs_in_once(web, web_server, db):
    idn, _ = candidate(web_server, db)
    web.open("/login.html")
    fill_login(web, idn, "wrong1234")
    from selenium.webdriver.common.action_chains import ActionChains
    button = web._clickable("登录")
    ActionChains(web.driver).double_click(button).perform()
    assert "再错 2 次" in web.error_for("密码")              # one password checked, not two
    assert web.enabled("登录")


def test_pages_that_need_a_login_send_there_and_back(web, web_server, db):
    idn, exam_id = candidate(web_server, db, name="王五")
    web.open("/me/")
    web.wait_text("请先登录")
    assert web.url_path().startswith("/login.html")
    fill_login(web, idn, "abcd1234")
    web.click("登录")
    web.wait_text("王五")
    assert web.url_path() == "/me/"
    web.click("退出")
    web.wait_text("您已安全退出")
    web.open("/me/")
    web.wait_text("请先登录")


def test_a_claim_that_lost_is_sent_to_login_with_the_reason(web, web_server, db):
    idn = h.id_number(seq="731")
    candidate(web_server, db, id_number=idn, phone="13800000031", verified=False)
    web.open("/login.html")
    fill_login(web, idn, "abcd1234")
    web.click("登录")
    web.wait_text("完成身份认证后才能办理业务")
    # Meanwhile the real owner of the ID number registers and passes verification.
    candidate(web_server, db, id_number=idn, phone="13800000032", password="owner1234")
    web.open("/me/")
    web.wait_text("登录已失效")
    assert web.url_path().startswith("/login.html")
