/* forgot-password.js - 找回密码 (POST /api/v1/auth/recover/password): ID number,
 * exam ID, phone, the SMS code and a new password. A wrong detail does not use
 * the code up (the API's sentence says so): the form keeps it for the retry. */
import { post } from '../api.js';
import { Captcha } from '../captcha.js';
import { Form } from '../form.js';
import { fillHeader, page } from '../layout.js';
import { SmsButton } from '../sms.js';
import { Steps } from '../steps.js';

page(async () => {
  const steps = new Steps();
  const formEl = document.querySelector('[data-form]');
  const captcha = new Captcha(formEl.querySelector('[data-captcha]'));
  const form = new Form(formEl, {
    submit: async (v) => {
      await post('/auth/recover/password', {
        id_number: v.id_number, exam_id: v.exam_id, phone: v.phone, sms_code: v.sms_code,
        password: v.password, password_confirm: v.password_confirm,
      });
      fillHeader(null); // every session, this browser's too, has ended
      steps.finish('done');
    },
  });
  new SmsButton(formEl.querySelector('[data-sms]'), { form, captcha, purpose: 'reset_password' });
  await captcha.refresh();
});
