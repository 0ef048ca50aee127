"""考籍管理区县联系方式 (/offices.html): the district offices' contacts are public
(linked from the home page and the personal centre's 查询中心); a district chosen shows its office's address,
phone and hours, or says that none is on record; a logged-in candidate finds
their own district's office chosen and shown. The offices are the demo data
loaded with zikaoctl, as an operator loads the real ones."""
import os

import pytest

import zikao_harness as h
from zikao_browser import CAPTCHA, candidate


@pytest.fixture
def offices(web_server, db, pg, database, redis_server):
    """The demo district offices, loaded with `zikaoctl districts import`."""
    h.zikaoctl(pg.conninfo(database), redis_server.port, "districts", "import",
               os.path.join(h.SOURCE, "schema/data/demo/district_offices.csv"))

    def of(district):
        return h.q(db, "SELECT name, address, phone, hours FROM district_offices "
                       "WHERE district = %s", district)[0]
    return of


def test_anyone_finds_a_districts_office_from_the_home_page(web, offices):
    web.open("/")
    web.click("考籍管理区县联系方式")
    web.wait_text("身份认证多次未通过")
    web.select("考籍管理区县", "迎泽区")
    web.click("查询")
    name, address, phone, hours = offices("140106")
    web.wait_text(address)
    for seen in (name, phone, hours, "太原市 迎泽区", "示例数据"):
        assert web.sees(seen), seen
    web.check("office")
    web.select("考籍管理区县", "阳曲县")                      # none on record: the API says so
    web.click("查询")
    assert "暂未登记" in web.error_for("考籍管理区县")
    assert not web.sees(address)
    web.check("none-on-record")


def test_a_logged_in_candidate_sees_their_own_districts_office(web, web_server, db, offices):
    idn, _ = candidate(web_server, db, district="140105")
    web.open("/login.html")
    web.type("身份证号或准考证号", idn)
    web.type("密码", "abcd1234")
    web.type("图形验证码", CAPTCHA)
    web.click("登录")
    web.wait_text("快捷入口")
    web.click("考籍管理区县联系方式")                        # 个人中心's 查询中心
    name, address, phone, hours = offices("140105")
    web.wait_text(address)
    assert web.value("考籍管理区县") == "140105"
    for seen in (name, phone, hours, "太原市 小店区"):
        assert web.sees(seen), seen
    web.check("own-district")
