/*
 * sms.js - the "获取验证码" button of an SMS code field (POST /api/v1/sms/send).
 *
 * new SmsButton(button, {form, captcha, purpose}) sends a code for `purpose`
 * to the number in the form's "phone" field, with the captcha answer (a
 * captcha.js Captcha, which then shows a new picture). Errors are the form's
 * (next to the phone or captcha field). After a send, the button waits for
 * the API's resend_after seconds (or the Retry-After of SMS_TOO_SOON),
 * counting down on its face, and the focus moves to the code's input. The
 * status line (data-sms-status, role="status") says the code was sent.
 */
import { post } from './api.js';

export class SmsButton {
  constructor(button, { form, captcha, purpose }) {
    this.button = button;
    this.form = form;
    this.captcha = captcha;
    this.purpose = purpose;
    this.timer = null;
    this.field = button.closest('.field');
    this.status = this.field.querySelector('[data-sms-status]');
    button.addEventListener('click', () => this.send());
  }

  async send() {
    if (this.button.disabled) return;
    const phone = this.form.input('phone');
    const answer = this.form.input('captcha');
    const missing = [];
    if (!phone.value.trim()) missing.push({ field: 'phone', message: '请先填写手机号码' });
    if (!answer.value.trim()) missing.push({ field: 'captcha', message: '请先填写图形验证码' });
    if (missing.length) {
      this.form.showErrors(missing);
      return;
    }
    this.form.clearErrors();
    this.button.disabled = true;
    try {
      const r = await post('/sms/send', { phone: phone.value.trim(), purpose: this.purpose,
                                          ...this.captcha.take() });
      this.status.textContent =
        `验证码已发送，${Math.round(r.expires_in / 60)} 分钟内有效，请查看手机短信。`;
      this.countdown(r.resend_after);
      this.form.input('sms_code').focus();
    } catch (e) {
      if (!e.code) throw e;
      if (e.code === 'SMS_TOO_SOON' && e.retryAfter) this.countdown(e.retryAfter);
      else this.button.disabled = false;
      this.form.showError(e);
    }
  }

  countdown(seconds) {
    clearInterval(this.timer);
    let left = Math.max(1, seconds | 0);
    this.button.disabled = true;
    const show = () => { this.button.textContent = `${left} 秒后重发`; };
    show();
    this.timer = setInterval(() => {
      left -= 1;
      if (left > 0) {
        show();
        return;
      }
      clearInterval(this.timer);
      this.button.disabled = false;
      this.button.textContent = '重新获取验证码';
    }, 1000);
  }
}
