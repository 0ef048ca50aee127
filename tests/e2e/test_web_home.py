"""The home page and the personal centre's 快捷入口 show every business window as
a candidate needs it: open now (开放中) with its dates, or when it opens (未开放),
or nothing planned; and a page that does not exist says where to go."""
import datetime

import zikao_harness as h
from zikao_browser import CAPTCHA, candidate

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def shown(t):
    """How the pages write a time: Beijing time, 2026年9月1日 09:00."""
    b = t.astimezone(BEIJING)
    return f"{b.year}年{b.month}月{b.day}日 {b:%H:%M}"


def test_windows_say_whether_open_and_when(web, web_server, db):
    now = datetime.datetime.now(BEIJING).replace(second=0, microsecond=0)
    opened, closes = now - datetime.timedelta(days=1), now + datetime.timedelta(days=9)
    opens, ends = now + datetime.timedelta(days=30), now + datetime.timedelta(days=40)
    h.q(db, "DELETE FROM windows")
    h.q(db, "INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES "
            "('graduation', '2026-2', '2026年下半年毕业申请', %s, %s), "
            "('exemption', '2027-1', '2027年上半年免考申请', %s, %s)", opened, closes, opens, ends)
    web.open("/")
    web.wait_text("业务办理时间")
    text = web.text()
    # What can be done now comes first.
    graduation = text[text.index("毕业申请\n"):text.index("免考申请\n")]
    exemption = text[text.index("免考申请\n"):text.index("暂无安排")]
    assert graduation.split("\n")[:2] == ["毕业申请", "开放中"]
    assert shown(opened) in graduation and shown(closes) in graduation
    assert exemption.split("\n")[:2] == ["免考申请", "未开放"]
    assert "下一期：2027年上半年免考申请" in exemption
    assert shown(opens) in exemption and shown(ends) in exemption
    assert "暂无安排：理论课程报名、实践课程报名" in text
    assert web.sees("登录") and web.sees("新考生注册") and web.sees("在籍考生激活")
    idn, _ = candidate(web_server, db, name="郑洁")
    web.click("登录")
    web.type("身份证号或准考证号", idn)
    web.type("密码", "abcd1234")
    web.type("图形验证码", CAPTCHA)
    web.click("登录")
    web.wait_text("快捷入口")
    centre = web.text()[web.text().index("快捷入口"):]
    assert "开放中" in centre and shown(closes) in centre and "下一期：2027年上半年免考申请" in centre
    web.click("自学考试考生服务平台")                        # the site name leads home
    web.wait_text("您已登录")
    assert not web.sees("新考生注册")
    assert web.sees("专业计划查询") and web.sees("考籍管理区县联系方式")  # public, for everyone


def test_a_page_that_does_not_exist_says_where_to_go(web):
    web.open("/me/no-such-page.html")
    web.wait_text("页面不存在")
    web.click("首页")
    web.wait_text("业务办理时间")
