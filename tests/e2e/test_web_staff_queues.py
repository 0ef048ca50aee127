"""The staff console's review queues in the browser, each walked by a real
staff account of the office that handles it (signed in with password and
authenticator code): the district pre-reviews a graduation application and
the candidate sees it approved; the confirmation point returns an exemption
with a reason and the candidate reads 被退回（退回原因：…）; the district
approves a transfer once a colleague's claim is let go, and the candidate's
management district changes; the province refuses a 省际转出 with a reason,
and filters a queue by office, pages through it and approves in bulk. The candidates' applications are made through
the API, as their pages would make them."""
import os

import pytest

import test_exemption as ex
import test_graduation as g
import test_staff as st
import test_transfer as tr
import zikao_harness as h
from test_graduation import major  # noqa: F401  (autouse: the test major 990101)
from test_staff import PASSWORD, SECRET, ctl, sign_in, totp
from test_web_exemption import catalogue, certificate_jpeg  # noqa: F401  (fixture)
from test_web_staff import cand_login, staff_sign_in
from test_web_transfer import open_window  # noqa: F401  (fixture)
from zikao_browser import candidate


@pytest.fixture
def officers(db, pg, database, redis_server):
    """officers(username, role, district=None, point=None): a staff account with
    the fixtures' password and second factor (the first administrator made by
    zikaoctl, as on a new server). Returns its username."""
    r = ctl(pg, database, redis_server, "staff", "create-admin", "admin", "王管理",
            stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    hash_ = h.q1(db, "SELECT password_hash FROM staff WHERE username = 'admin'")

    def make(username, role, district=None, point=None):
        h.q(db, "INSERT INTO staff (username, name, role, district, point_id, password_hash, "
                "password_must_change, totp_secret) VALUES (%s, %s, %s, %s, %s, %s, false, %s)",
            username, "职员" + username, role, district, point, hash_, SECRET)
        return username
    return make


def sign_in_as(web, username):
    staff_sign_in(web, username, PASSWORD, totp(SECRET))
    web.wait_text("待办事项")


def tabs(web):
    """The queues offered, each with its open count."""
    return web.driver.execute_script(
        "return [...document.querySelectorAll('.queue-tabs li')].map((li) => li.textContent)")


def candidate_id(db, idn):
    return h.q1(db, "SELECT id FROM candidates WHERE id_number = %s", idn)


def test_a_district_pre_reviews_a_graduation_application_and_the_candidate_sees_it_approved(
        make_web, web_server, db, officers):
    idn, exam_id = candidate(web_server, db, name="赵敏")
    cid = candidate_id(db, idn)
    for code in ("99001", "99002"):
        h.q(db, "INSERT INTO passed_courses (candidate_id, exam_id, course_code, course_name, "
                "score, credits, passed_on) SELECT %s, %s, code, name, '75', credits, "
                "'2025-04-20' FROM courses WHERE code = %s", cid, exam_id, code)
    g.window(db)
    c = g.client(web_server, cid)
    g.to_district_review(db, c, g.applied(c, g.draft()))  # the photo handed to the district
    officers("xiaodian", "district", district="140105")

    web = make_web(web_server)
    sign_in_as(web, "xiaodian")
    assert tabs(web) == ["身份认证人工审核 待处理 0", "毕业申请审核 待处理 1", "省内转考审核 待处理 0"]
    web.click("毕业申请审核")
    web.wait_text("赵敏")
    assert web.sees("990101 测试专业（专科）")
    web.check("graduation queue")
    web.click("赵敏")
    web.wait_text("毕业审核结果（提交时）")
    for seen in ("99901 测试大学", "990101 测试专业（专科）", "太原市小店区坞城路 92 号",
                 "基础课程", "毕业照片：未通过", "办理记录"):
        assert web.sees(seen), seen
    assert [text for text, _ in web.buttons()].count("认领此事项") == 1
    web.check("graduation item")
    web.click("认领此事项")
    web.wait_text("已认领")
    assert web.sees("您已认领")
    web.click("放弃认领")
    web.wait_text("已放弃认领，其他工作人员现在可以办理。")
    assert not web.sees("您已认领") and "认领此事项" in [t for t, _ in web.buttons()]
    assert not web.sees("退回（")  # graduation is approved or refused, never returned
    web.tick("审核通过")
    web.click("提交结论")
    web.wait_text("已通过 赵敏 的毕业申请")
    web.check("approved")

    person = make_web(web_server)
    cand_login(person, idn, then="/me/graduation.html")
    person.wait_text("审核通过，待缴费")
    assert "去缴费" in [text for text, _ in person.buttons()] or person.sees("去缴费")
    person.check("candidate sees the outcome")


def test_a_confirmation_point_returns_an_exemption_and_the_candidate_reads_why(
        make_web, web_server, db, catalogue, officers):  # noqa: F811
    idn, _ = candidate(web_server, db, name="冯一")
    c = ex.client(web_server, candidate_id(db, idn))
    app = ex.open_app(c)
    with open(certificate_jpeg(), "rb") as f:
        r = c.request("PUT", f"/api/v1/me/applications/{app['id']}/files/certificates",
                      raw=f.read(), content_type="image/jpeg")
    assert r.status == 201, r
    h.q(db, "SELECT application_file_checked(id, true, NULL, NULL) FROM application_files "
            "WHERE application_id = %s", app["id"])
    point = h.q1(db, "SELECT id FROM confirmation_points WHERE name = '小店区免考确认点'")
    ex.draft(c, app, {"point": point, "majors": ["080702"],
                      "certificates": [ex.cert(r.json()["seq"])]})
    assert ex.act(c, app["id"], "submit").status == 200
    officers("dianpoint", "confirmation_point", point=point)

    web = make_web(web_server)
    sign_in_as(web, "dianpoint")
    assert tabs(web) == ["免考申请确认 待处理 1"]
    web.click("冯一")
    web.wait_text("证书与免考课程（1 个）")
    for seen in ("小店区免考确认点", "080702 计算机及应用（本科）", "00018 计算机应用基础",
                 "00019 计算机应用基础(实践)", "2019-09", "一级计算机基础及MS Office应用"):
        assert web.sees(seen), seen
    assert web.driver.execute_script(
        "return document.querySelector('.certificate img').naturalWidth") == 1000
    assert not web.sees("不通过")  # a point confirms or returns
    web.check("exemption item")
    web.tick("退回（写明原因，考生凭退回可重新申请一次）")
    web.click("提交结论")
    web.wait_text("退回或不通过须写明原因")
    web.check("reason required")
    web.type("原因", "证书照片不清晰")
    web.type("下一步", "请携带证书原件和打印的申请详情到小店区免考确认点")
    web.click("提交结论")
    web.wait_text("已退回 冯一 的免考申请")
    web.check("returned")
    item = ex.item_of(db, app["id"])
    web.open(f"/staff/item.html?queue=exemption&id={item}")  # decided: read, not decided again
    web.wait_text("原因：证书照片不清晰")
    assert web.sees("状态：已退回；职员dianpoint 于") and "提交结论" not in web.text()
    web.open(f"/staff/item.html?queue=exemption&id={item + 1000}")
    web.wait_text("这一项不存在，或不归您所在的单位办理")
    web.check("not found")
    assert h.q1(db, "SELECT count(*) FROM staff_audit WHERE action = 'view.certificate'") >= 1

    person = make_web(web_server)
    cand_login(person, idn, then="/me/exemption.html")
    person.wait_text("被退回（退回原因：证书照片不清晰）")
    person.check("candidate reads why")


def test_a_district_approves_a_transfer_once_a_colleagues_claim_is_let_go(
        make_web, web_server, db, open_window, officers):  # noqa: F811
    idn, exam_id = candidate(web_server, db, name="孙七")
    cid = candidate_id(db, idn)
    h.q(db, "INSERT INTO passed_courses (candidate_id, exam_id, course_code, course_name, score, "
            "credits, passed_on) VALUES (%s, %s, '00015', '英语(二)', '72', 14, '2024-04-20')",
        cid, exam_id)
    c = tr.client(web_server, cid)
    app = tr.applied(c, "transfer", tr.TO_DATONG)
    assert tr.act(c, app["id"], "submit").status == 200
    officers("xiaodian", "district", district="140105")
    colleague = sign_in(web_server, officers("xiaodian2", "district", district="140105"))
    item = tr.item_of(db, "transfer", app["id"])
    assert colleague.post(f"/api/v1/staff/queues/transfer/items/{item}/claim").status == 200

    web = make_web(web_server)
    sign_in_as(web, "xiaodian")
    web.click("省内转考审核")
    web.wait_text("孙七")
    assert web.sees("转入 新荣区") and web.sees("职员xiaodian2 已认领")
    web.click("孙七")
    web.wait_text("合格课程（1 门，随考籍转移）")
    for seen in ("太原市 小店区", "大同市 新荣区", "工作调动", "00015 英语(二)", exam_id,
                 "职员xiaodian2 已认领至"):
        assert web.sees(seen), seen
    web.tick("同意转考（考籍管理区县改为转入区县）")
    web.click("提交结论")
    web.wait_text("这一项正由职员xiaodian2处理")
    assert web.sees("请等认领到期或对方放弃认领后再办理")
    web.check("claimed by a colleague")
    assert colleague.post(f"/api/v1/staff/queues/transfer/items/{item}/release").status == 200
    web.click("提交结论")
    web.wait_text("已同意 孙七 的省内转考申请")
    assert h.q1(db, "SELECT district FROM candidates WHERE id = %s", cid) == "140212"
    web.select("状态", "已通过")
    web.click("筛选")
    web.wait_text("省内转考审核：已通过的事项")
    assert web.sees("孙七")
    web.check("approved list")

    person = make_web(web_server)
    cand_login(person, idn, then="/me/transfer.html")
    person.wait_text("审核通过")
    person.check("candidate sees the outcome")


def test_the_province_filters_a_queue_by_office_pages_through_it_and_approves_in_bulk(
        make_web, web_server, db, officers):
    names = {}
    for n in range(22):  # 21 at 小店区 (two pages of 20), one at 迎泽区
        cid = st.candidate(db, "140105" if n < 21 else "140106", "%03d" % (500 + n))
        h.q(db, "UPDATE candidates SET name = %s WHERE id = %s", "考生%02d" % n, cid)
        st.attempt(db, cid)
        names[n] = st.item_of(db, cid)
    officers("sheng", "province")

    web = make_web(web_server)
    sign_in_as(web, "sheng")
    assert tabs(web)[0] == "身份认证人工审核 待处理 22" and len(tabs(web)) == 5
    assert web.sees("考生19") and not web.sees("考生20")
    web.click("下一页")
    web.wait_text("考生21")
    assert web.sees("考生20") and not web.sees("考生19") and not web.sees("下一页")
    web.check("second page")
    web.click("回到第一页")
    web.wait_text("考生00")
    assert web.options("办理单位") == ["全部", "小店区", "迎泽区"]
    web.select("办理单位", "迎泽区")
    web.click("筛选")
    web.wait(lambda: not web.sees("考生00"), "the list of 迎泽区 alone")
    assert web.sees("考生21")
    web.check("one office")
    web.select("办理单位", "全部")
    web.click("筛选")
    web.wait_text("考生00")
    for n in (0, 1):
        web.driver.find_element("css selector", f"#pick-{names[n]}").click()
    web.click("批量通过所选事项")
    web.wait_text("已通过 2 件。")
    assert not web.sees("考生00") and web.sees("考生02")
    assert h.q(db, "SELECT state FROM review_items WHERE id IN (%s, %s)",
               names[0], names[1]) == [("approved",), ("approved",)]
    web.check("bulk approved")


def test_the_province_refuses_a_transfer_out_with_the_reason_the_candidate_reads(
        make_web, web_server, db, open_window, officers):  # noqa: F811
    idn, _ = candidate(web_server, db, name="周八")
    c = tr.client(web_server, candidate_id(db, idn))
    app = tr.applied(c, "transfer_out", {"province": "110000", "reason": "随家庭迁往北京"})
    assert tr.act(c, app["id"], "submit").status == 200
    officers("sheng", "province")

    web = make_web(web_server)
    sign_in_as(web, "sheng")
    web.click("省际转出审核")
    web.wait_text("转入 北京市")
    web.click("周八")
    web.wait_text("合格课程（0 门，随考籍转移）")
    for seen in ("省际转出", "太原市 小店区", "北京市", "随家庭迁往北京", "没有合格课程。"):
        assert web.sees(seen), seen
    web.tick("不同意")
    web.click("提交结论")
    web.wait_text("须写明原因（考生会看到）")
    assert web.sees("不同意时必填；考生会看到")
    web.type("原因", "尚有未办结的成绩复核")
    web.click("提交结论")
    web.wait_text("已不同意 周八 的省际转出申请，考生会收到原因。")
    web.check("refused")
    got = c.get(f"/api/v1/me/applications/{app['id']}").json()
    assert got["state"] == "refused" and got["timeline"][-1]["reason"] == "尚有未办结的成绩复核"
