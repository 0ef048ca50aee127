/* phone.js - 修改手机号 (POST /api/v1/me/phone): the new number, proven by an SMS
 * code sent to it (purpose change_phone, with the picture captcha). The answer
 * is the new number masked, which the confirmation shows. Needs a login. */
import { post } from '../api.js';
import { Captcha } from '../captcha.js';
import { Form } from '../form.js';
import { page } from '../layout.js';
import { SmsButton } from '../sms.js';
import { Steps } from '../steps.js';

page(async ({ me }) => {
  const steps = new Steps();
  document.querySelector('[data-current-phone]').textContent = me.phone || '未登记';
  const formEl = document.querySelector('[data-form]');
  const captcha = new Captcha(formEl.querySelector('[data-captcha]'));
  const form = new Form(formEl, {
    submit: async (v) => {
      const r = await post('/me/phone', { phone: v.phone, sms_code: v.sms_code });
      document.querySelector('[data-new-phone]').textContent = r.phone;
      steps.finish('done');
    },
  });
  new SmsButton(formEl.querySelector('[data-sms]'), { form, captcha, purpose: 'change_phone' });
  await captcha.refresh();
}, { login: true });
