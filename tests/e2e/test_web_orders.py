"""Orders as a candidate pays them: 订单查询, an order's page, paying through the
built-in payment simulator (Alipay-style: to its page and back), the return page
that waits (确认中) until the provider's notification has been applied, and the
receipt: its progress while the pdf worker renders it, then the PDF. A return
page never takes its address as proof of payment; an order can be cancelled
before it is paid, after a page that asks to confirm."""
import os

import pytest

import zikao_harness as h
from zikao_browser import CAPTCHA, WEB_ENV, candidate


@pytest.fixture
def keydir(pg, database, redis_server, tmpdir_path):
    d = os.path.join(tmpdir_path, "paykeys")
    h.zikaoctl(pg.conninfo(database), redis_server.port, "payments", "keygen", "--dir", d)
    return d


@pytest.fixture
def web_server(make_server, keydir):
    """Page server with the payment simulator's keys (the simulator is the default)."""
    return make_server(env=dict(WEB_ENV, ZIKAO_PAYMENT_KEY_DIR=keydir))


def payment_worker(make_worker, keydir, server):
    return make_worker("payment", 2, {"ZIKAO_PAYMENT_KEY_DIR": keydir,
                                      "ZIKAO_PAYMENT_PUBLIC_URL": f"http://127.0.0.1:{server.port}"})


def demo_order(server, db, idn):
    cid = h.q1(db, "SELECT id FROM candidates WHERE id_number = %s", idn)
    r = server.request("POST", "/api/v1/_test/orders",
                       body={"candidate_id": cid, "subject": f"web-{cid}"})
    assert r.status == 201, r
    return r.json()["order_no"]


def login(web, who, then):
    web.open("/login.html?next=" + then)
    web.type("身份证号或准考证号", who)
    web.type("密码", "abcd1234")
    web.type("图形验证码", CAPTCHA)
    web.click("登录")
    web.wait(lambda: web.url_path() == then, f"the way back to {then}")


def test_pay_through_the_simulator_and_download_the_receipt(web, web_server, db, make_worker,
                                                           keydir):
    make_worker("pdf", 1)
    idn, _ = candidate(web_server, db, name="钱进")
    no = demo_order(web_server, db, idn)
    login(web, idn, "/me/")
    web.click("订单查询")
    web.wait_text("演示费用")
    assert web.sees("待支付") and web.sees("1.00 元")
    web.click("去支付")
    web.wait_text("请核对")
    assert web.sees(f"订单号\n{no}") or web.sees(no)
    assert web.sees("不予退还")                           # said before paying
    web.tick("支付宝")
    web.click("确认支付")
    web.wait_text("支付宝（模拟）收银台")                  # the provider's page
    assert web.sees("1.00 元")
    web.click("确认付款")
    web.wait_text("支付成功")
    web.click("返回商户")                                  # back to the return_url
    web.wait_text("正在确认支付结果")                      # no notification applied yet:
    assert web.url_path().startswith("/me/pay-return.html?no=")
    assert web.sees("确认中")                              # the payment worker is not running
    web.check("waiting")
    payment_worker(make_worker, keydir, web_server)       # now the notification is applied
    web.wait_text("已收到您的付款", timeout=60)
    assert web.focused() == "支付成功"
    web.check("paid")
    web.click("查看订单，下载缴费凭证")
    web.wait_text("已支付")
    web.wait_text("下载缴费凭证（PDF）", timeout=60)
    name, data = web.download("下载缴费凭证（PDF）")
    assert data.startswith(b"%PDF") and name.endswith(".pdf")
    web.check("receipt")
    web.open("/me/orders.html")
    web.wait_text("已支付")
    assert web.sees("查看订单，下载缴费凭证")


def test_pay_with_wechat_by_scanning_the_qr_code_with_a_phone(web, web_server, db, make_web,
                                                              make_worker, keydir):
    payment_worker(make_worker, keydir, web_server)    # asks the provider for the QR payload
    idn, _ = candidate(web_server, db)
    no = demo_order(web_server, db, idn)
    login(web, idn, f"/me/order.html?no={no}")
    web.tick("微信支付")
    web.click("确认支付")
    web.wait_text("请用手机微信“扫一扫”扫描下面的二维码付款")
    assert web.focused() == "等待付款结果"
    web.wait(lambda: web.driver.execute_script(
        "const i = document.querySelector('img[alt=微信支付二维码]');"
        "return i && i.complete && i.naturalWidth > 0"), "the QR code drawn")
    web.check("qr-code")
    # The phone "scans" it: the simulator's page for the code (its stand-in link).
    url = web.driver.execute_script(
        "return [...document.querySelectorAll('a')].find(a => a.textContent === "
        "'打开微信支付页面').href")
    phone = make_web(web_server)
    phone.open(url[len(phone.base):])
    phone.wait_text("微信支付（模拟）")
    phone.click("确认支付")
    phone.wait_text("支付成功")
    web.wait_text("已支付：缴费已完成", timeout=60)    # the order page saw it by itself
    assert not web.sees("确认支付")
    web.check("paid")


def test_the_return_page_does_not_take_its_address_as_proof(web, web_server, db):
    idn, _ = candidate(web_server, db)
    no = demo_order(web_server, db, idn)
    login(web, idn, "/me/")
    web.open(f"/me/pay-return.html?no={no}&trade_status=TRADE_SUCCESS&total_amount=1.00")
    web.wait_text("还没有收到支付结果")
    assert web.sees("这个订单还没有付款") and not web.sees("支付成功")
    web.check("unpaid")
    web.click("去订单页面付款")
    web.wait_text("请核对")


def test_cancel_an_unpaid_order_after_confirming_with_the_keyboard_alone(web, web_server, db):
    from selenium.webdriver.common.keys import Keys
    idn, _ = candidate(web_server, db)
    no = demo_order(web_server, db, idn)
    login(web, idn, f"/me/order.html?no={no}")
    web.wait_text("待支付")
    passed = web.tab_to("取消订单")
    assert passed.index("支付宝") < passed.index("确认支付")  # the choice comes before the button
    web.press(Keys.ENTER)
    web.wait_text("确定要取消这个订单吗？")
    assert web.focused() == "确定要取消这个订单吗？"
    web.check("confirm")
    web.tab_to("返回，不取消")
    web.press(Keys.ENTER)                                 # changed their mind: nothing happens
    web.wait_text("确认支付")
    web.tab_to("取消订单")
    web.press(Keys.ENTER)
    web.tab_to("确认取消订单")
    web.press(Keys.ENTER)
    web.wait_text("订单已取消")
    assert web.sees("已关闭（已取消）") and not web.sees("确认支付")
    assert h.q1(db, "SELECT state FROM orders WHERE order_no = %s", no) == "closed"
    web.check("cancelled")
