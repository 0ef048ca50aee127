"""Recovering a password and exam IDs as a person does: a wrong detail first
(the page says the SMS code still works and keeps it), then the corrected one
with the same code; then logging in with what was recovered."""
import zikao_harness as h
from zikao_browser import CAPTCHA, candidate


def send_code(web, db, phone, purpose):
    web.type("手机号码", phone)
    web.type("图形验证码", CAPTCHA)
    web.click("获取验证码")
    web.wait_text("分钟内有效")
    web.type("短信验证码", h.sms_code(db, phone, purpose))


def test_forgot_password_wrong_exam_id_first_then_log_in_with_the_new_one(web, web_server, db):
    idn, exam_id = candidate(web_server, db, name="周芳", phone="13600000701")
    web.open("/login.html")
    web.click("忘记密码")
    web.wait_text("已通过身份认证的考生")
    web.type("身份证号", idn)
    web.type("准考证号", "010599999999")                       # not theirs
    send_code(web, db, "13600000701", "reset_password")
    web.type("新密码", "zhoufang88")
    web.type("再次输入新密码", "zhoufang88")
    web.click("设置新密码")
    assert "短信验证码仍可使用" in web.error_for("身份证号")
    assert web.focused() == "提交未成功"
    code = web.value("短信验证码")
    assert code != ""                                          # kept for the retry
    web.check("wrong-exam-id")
    web.type("准考证号", exam_id)
    web.click("设置新密码")
    web.wait_text("密码已重设")
    web.check("done")
    web.click("去登录")
    web.wait_text("考生登录")
    web.type("身份证号或准考证号", exam_id)
    web.type("密码", "zhoufang88")
    web.type("图形验证码", CAPTCHA)
    web.click("登录")
    web.wait_text("周芳")
    assert web.url_path() == "/me/" and web.sees("已认证") and web.sees(exam_id)


def test_forgot_exam_id_lists_them(web, web_server, db):
    idn, exam_id = candidate(web_server, db, name="吴刚", phone="13600000702")
    web.open("/forgot-exam-id.html")
    web.type("身份证号", idn)
    web.type("姓名", "吴钢")                                   # mistyped
    send_code(web, db, "13600000702", "forgot_exam_id")
    web.click("找回准考证号")
    assert "短信验证码仍可使用" in web.error_for("身份证号")
    web.type("姓名", "吴刚")
    web.click("找回准考证号")
    web.wait_text("您的准考证号")
    assert web.sees(exam_id) and web.sees("吴*")
    web.check("found")
    web.click("去登录")
    web.wait_text("考生登录")
