"""身份认证 as a person does it on a phone, with the real photo and face workers:
a new candidate registers, uploads the three Shanxi photos (三照), starts the
verification and watches it to the verdict; a photo refused shows its reason
beside it (what was measured, what is allowed), the same photo again is
refused naming that finding, and the fixed photo passes; a comparison that
goes to a person shows the district office's contact.

The photos are the kit's faces made into identity photos by
workers/face/tests/identity_fixtures.c (the `photos` fixture; the same files
tests/e2e/test_identity_workers.py checks): sx_reg_darkgrey.jpg fails the
background rule, tj_reg_stuart + tj_id_stuart land in the review band.
Without the kit or the face models the tests skip, saying why."""
import os
import re

import pytest

import zikao_harness as h
from zikao_browser import CAPTCHA, WEB_ENV, candidate

WAIT = 120  # the workers' time to a verdict: waited for, never measured

SHANXI = {"彩色证件照": "sx_reg_sheldon.jpg", "身份证人像面照片": "sx_id_sheldon.jpg",
          "手持身份证照": "sx_hold_sheldon.jpg"}


@pytest.fixture
def identity_workers(make_worker):
    """start(province) -> the photo and face workers on the test's database."""
    def start(province="shanxi"):
        env = {"ZIKAO_PATHS_MODELS_DIR": h.MODELS, "ZIKAO_PROFILE_PROVINCE": province,
               "OPENBLAS_NUM_THREADS": "1"}
        make_worker("photo", 2, env)
        make_worker("face", 1, env)
    return start


def photo(photos, name):
    photos(name)  # made, or the test skips
    return os.path.join(photos.dir, name)


def login(web, login_id, password, then="/me/identity.html"):
    web.open("/login.html?next=" + then)
    web.type("身份证号或准考证号", login_id)
    web.type("密码", password)
    web.type("图形验证码", CAPTCHA)
    web.click("登录")
    web.wait_text("身份认证")


def upload(web, photos, label, name):
    web.upload(f"选择{label}", photo(photos, name), "上传照片")
    web.wait(lambda: "已上传（" in findings_of(web, label), f"{label} uploaded")


def findings_of(web, label):
    """The text of the photo card headed `label`."""
    return web.driver.execute_script(
        "for (const a of document.querySelectorAll('.photo-card')) {"
        "  if (a.querySelector('h3').textContent.trim() === arguments[0]) return a.innerText; }"
        "return '';", label)


def test_a_new_candidate_registers_uploads_three_photos_and_is_verified(
        web, web_server, db, photos, identity_workers):
    idn = h.id_number(birth="19960212", seq="317")
    phone = "13900000317"
    web.open("/register.html")
    web.type("身份证号", idn)
    web.type("姓名", "王芳")
    web.type("登录密码", "kaoshi2026")
    web.type("再次输入登录密码", "kaoshi2026")
    web.select("考籍管理区县", "小店区")
    web.type("手机号码", phone)
    web.type("图形验证码", CAPTCHA)
    web.click("获取验证码")
    web.wait_text("分钟内有效")
    web.type("短信验证码", h.sms_code(db, phone, "register"))
    web.click("下一步")
    web.click("确认注册")
    web.wait_text("注册成功")
    web.click("去身份认证")

    web.wait_text("第一步：上传照片")
    assert web.sees("未认证")
    for label in SHANXI:                                   # 三照, each with what a good one is
        assert label in findings_of(web, label)
        assert "照片要求" in findings_of(web, label)
        assert "尚未上传" in findings_of(web, label)
    assert "浅蓝色、蓝色、白色或浅灰色" in findings_of(web, "彩色证件照")
    assert "四个圆角" in findings_of(web, "身份证人像面照片")
    assert "今天还可认证 3 次" in web.text()
    web.check("nothing-uploaded")

    web.click("开始认证")                                   # too early: the server says what is missing
    assert "请先上传：彩色证件照、身份证人像面照片、手持身份证照" in web.summary()
    for label, name in SHANXI.items():
        upload(web, photos, label, name)
        assert "尚未上传" not in findings_of(web, label)
        web.wait(lambda: web.driver.execute_script(          # the picture is shown back
            "const i = [...document.querySelectorAll('.photo-card img')]"
            ".find(i => i.alt === arguments[0]); return !!i && i.complete && i.naturalWidth > 0",
            f"您上传的{label}"), f"the {label} shown")
    assert not web.sees("请先上传")                          # answered: no longer said
    web.check("uploaded")

    web.click("开始认证")                                   # no worker runs yet: in progress
    web.wait_text("正在核验您的照片：已完成 0 项，共 4 项。")
    assert web.sees("彩色证件照检查 进行中") and web.sees("人脸比对 进行中")
    assert web.sees("通常在一分钟内完成")
    assert not any(b[0] == "上传照片" for b in web.buttons())  # photos stay as they are meanwhile
    web.check("in-progress")
    identity_workers()
    web.wait_text("身份认证已通过", timeout=WAIT)
    assert web.focused() == "身份认证已通过"                  # the outcome is where the focus goes
    assert web.sees("现在可以办理自学考试业务了")
    exam_id = h.q1(db, "SELECT e.exam_id FROM exam_ids e JOIN candidates c ON c.id = "
                       "e.candidate_id WHERE c.id_number = %s AND c.superseded_at IS NULL", idn)
    assert exam_id and web.sees(exam_id)                      # the exam ID issued, to remember
    for label in SHANXI:
        assert "全部通过" in findings_of(web, label)
    assert web.sees("人脸比对") and web.sees("彩色证件照 与 身份证人像面照片")
    assert web.sees("手持身份证照中的身份证人像 与 彩色证件照")
    assert "一致" in web.text() and "差异度" in web.text()
    assert not any(b[0] == "开始认证" for b in web.buttons())  # nothing left to start
    web.check("passed")
    web.click("进入个人中心")
    web.wait_text("已认证")
    assert web.sees(exam_id)


def test_a_refused_photo_shows_its_reason_and_the_fixed_one_passes(
        web, web_server, db, photos, identity_workers):
    identity_workers()
    idn, _ = candidate(web_server, db, phone="13900000318", verified=False)
    login(web, idn, "abcd1234")
    web.wait_text("第一步：上传照片")

    # What the server refuses at upload is said next to the file field.
    fake = os.path.join(photos.dir, "not-a-photo.jpg")
    with open(fake, "wb") as f:
        f.write(b"%PDF-1.4 this is no picture")
    web.upload("选择手持身份证照", fake, "上传照片")
    assert "不是 JPG 或 PNG 图片" in web.error_for("选择手持身份证照")
    assert "不是 JPG 或 PNG 图片" in web.summary()
    web.check("not-an-image")
    big = os.path.join(photos.dir, "too-big.jpg")
    with open(big, "wb") as f:
        f.write(b"\xff\xd8\xff\xe0" + b"\0" * (5 * 1024 * 1024 // 2))
    web.upload("选择手持身份证照", big, "上传照片")
    assert "不能超过 2MB，所选文件为 2.50MB" in web.error_for("选择手持身份证照")
    web.check("too-big")

    upload(web, photos, "彩色证件照", "sx_reg_darkgrey.jpg")    # a dark grey background
    upload(web, photos, "身份证人像面照片", "sx_id_sheldon.jpg")
    upload(web, photos, "手持身份证照", "sx_hold_sheldon.jpg")
    web.click("开始认证")
    web.wait_text("身份认证未通过", timeout=WAIT)
    assert web.focused().startswith("身份认证未通过")
    assert web.sees("彩色证件照（背景颜色）：")                  # the reason at the top ...
    card = findings_of(web, "彩色证件照")                        # ... and beside the photo
    assert "1 项未通过" in card
    assert "背景颜色" in card and "未通过" in card
    assert "测得\n与要求颜色的色差" in card or "测得\t与要求颜色的色差" in card, card
    assert "色差（CIEDE2000）不超过 16" in card and "深灰色" in card
    assert "全部通过" in findings_of(web, "身份证人像面照片")
    assert "今天还可认证 2 次" in web.text()
    assert web.sees("太原市小店区")                             # where to go if it keeps failing
    web.check("refused")

    web.click("开始认证")                                       # the same photo again: spared
    assert "照片没有更换" in web.summary() and "背景颜色" in web.summary()
    assert "今天还可认证 2 次" in web.text()
    web.check("unchanged")

    upload(web, photos, "彩色证件照", "sx_reg_sheldon.jpg")     # fixed: a light background
    assert "更换过，尚未检查" in findings_of(web, "彩色证件照")
    assert not web.sees("照片没有更换")                          # answered: no longer said
    web.check("replaced")
    web.click("开始认证")
    web.wait_text("身份认证已通过", timeout=WAIT)
    assert "全部通过" in findings_of(web, "彩色证件照")
    web.check("passed")


def test_a_comparison_for_a_person_shows_the_district_office(
        make_server, make_web, db, pg, database, redis_server, photos, identity_workers):
    server = make_server(env=dict(WEB_ENV, ZIKAO_PROFILE_PROVINCE="tianjin"))
    h.zikaoctl(pg.conninfo(database), redis_server.port, "districts", "import",
               os.path.join(h.SOURCE, "schema/data/demo/district_offices.csv"))
    identity_workers("tianjin")
    idn, _ = candidate(server, db, phone="13900000319", verified=False, district="120101")
    web = make_web(server)
    login(web, idn, "abcd1234")
    web.wait_text("第一步：上传照片")
    assert "20-40KB" in findings_of(web, "报名照片")            # Tianjin's rules (handbook 004)
    upload(web, photos, "报名照片", "tj_reg_stuart.jpg")
    upload(web, photos, "身份证人像面照片", "tj_id_stuart.jpg")
    web.click("开始认证")
    web.wait_text("等待人工审核", timeout=WAIT)
    office = h.q(db, "SELECT name, address, phone, hours FROM district_offices WHERE "
                     "district = '120101'")[0]
    for seen in office:
        assert web.sees(seen), seen
    assert web.sees("天津市和平区")
    assert web.sees("携带本人身份证原件")
    assert "需人工审核" in web.text()
    assert not any(b[0] == "开始认证" for b in web.buttons())  # nothing to do but wait
    web.check("review")
    web.click("各区县招办联系方式")                            # the contacts page, for later
    web.wait_text(office[1])
    assert web.sees("天津市 和平区")
    web.open("/me/")                                           # the personal centre agrees
    web.wait_text("待人工审核")


def test_the_days_attempts_used_up_say_when_to_come_back(make_server, make_web, db, photos):
    server = make_server(env=dict(WEB_ENV, ZIKAO_AUTH_IDENTITY_ATTEMPTS_DAY="1"))
    idn, _ = candidate(server, db, phone="13900000320", verified=False)
    web = make_web(server)
    login(web, idn, "abcd1234")
    for label, name in SHANXI.items():
        upload(web, photos, label, name)
    assert "今天还可认证 1 次" in web.text()
    web.click("开始认证")                                   # no worker runs in this test
    web.wait_text("已完成 0 项")
    web.open("/me/identity.html")                           # coming back: still followed
    web.wait_text("正在核验您的照片：已完成 0 项，共 4 项。")
    # what a worker that gave up would leave (the checks' own result aside)
    h.q(db, "UPDATE identity_attempts SET state = 'failed', decided_at = now(), reasons = "
            "'[\"系统未能完成照片检查，请重新提交认证。\"]' RETURNING id")
    web.wait_text("身份认证未通过", timeout=30)
    assert web.sees("系统未能完成照片检查")
    assert web.sees("今天的认证次数已用完")
    web.click("开始认证")
    summary = web.summary()
    assert "今天的身份认证次数（1 次）已用完" in summary
    assert re.search(r"北京时间 \d{1,2}月\d{1,2}日 00:00 以后可以再次认证", summary), summary
    web.check("attempts-used-up")
