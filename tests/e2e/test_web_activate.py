"""Enrolled-candidate activation as a person does it: step 1 with a mistyped
name, step 2 with password, phone and SMS code, which is where the mismatch is
told; back at step 1 with everything kept, the corrected name and the same SMS
code finish it."""
import zikao_harness as h
from zikao_browser import CAPTCHA


def enrolled(db, idn, name, exam_id):
    cid = h.q1(db, "INSERT INTO candidates (id_number, name, district, kind) "
                   "VALUES (%s, %s, '140105', 'enrolled') RETURNING id", idn, name)
    h.q(db, "INSERT INTO exam_ids (exam_id, candidate_id, source) VALUES (%s, %s, 'imported')",
        exam_id, cid)
    return cid


def test_activate_with_a_wrong_name_first_then_the_right_one(web, db):
    idn = h.id_number(seq="611")
    enrolled(db, idn, "孙悦", "010512000611")
    web.open("/")
    web.click("在籍考生激活")
    web.wait_text("第 1 步，共 3 步")
    web.type("身份证号", idn)
    web.type("姓名", "孙越")                                  # mistyped
    web.type("图形验证码", CAPTCHA)
    web.click("下一步")
    web.wait_text("设置密码和手机号")
    assert web.focused() == "设置密码和手机号"
    assert web.sees("孙越")
    web.type("登录密码", "huodong2026")
    web.type("再次输入登录密码", "huodong2026")
    web.type("手机号码", "13700000611")
    web.type("图形验证码", CAPTCHA)
    web.click("获取验证码")
    web.wait_text("分钟内有效")
    web.type("短信验证码", h.sms_code(db, "13700000611", "activate"))
    web.check("account")
    web.click("激活")
    summary = web.summary()
    assert "不匹配" in summary and "短信验证码仍可使用" in summary
    assert "已保留" in summary
    assert web.sees("第 1 步，共 3 步") and web.focused() == "提交未成功"
    assert web.value("身份证号") == idn and web.value("姓名") == "孙越"
    assert "不匹配" in web.error_for("身份证号")
    web.check("mismatch")
    web.type("姓名", "孙悦")
    web.type("图形验证码", CAPTCHA)
    web.click("下一步")
    web.wait_text("设置密码和手机号")
    assert web.value("手机号码") == "13700000611"              # step 2 kept, code included
    assert web.value("短信验证码") != ""
    web.type("登录密码", "huodong2026")                        # (password fields are kept too)
    web.click("激活")
    web.wait_text("激活成功")
    assert web.sees("第 3 步，共 3 步") and web.sees("接下来：完成身份认证")
    assert web._clickable("各区县招办联系方式").get_attribute("href").endswith("/offices.html")
    web.check("done")
    web.click("进入个人中心")
    web.wait_text("完成身份认证后才能办理业务")
    assert web.sees("孙悦") and web.sees("通过身份认证后显示")   # no exam ID before verification
    assert not web.sees("010512000611")
