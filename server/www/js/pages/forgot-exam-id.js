/* forgot-exam-id.js - 找回准考证号 (POST /api/v1/auth/recover/exam-id): ID number,
 * name, phone and the SMS code give the exam IDs. A wrong detail does not use
 * the code up (the API's sentence says so): the form keeps it for the retry. */
import { post } from '../api.js';
import { Captcha } from '../captcha.js';
import { Form } from '../form.js';
import { el, page } from '../layout.js';
import { SmsButton } from '../sms.js';
import { Steps } from '../steps.js';

page(async () => {
  const steps = new Steps();
  const formEl = document.querySelector('[data-form]');
  const captcha = new Captcha(formEl.querySelector('[data-captcha]'));
  const form = new Form(formEl, {
    submit: async (v) => {
      const r = await post('/auth/recover/exam-id', {
        id_number: v.id_number, name: v.name, phone: v.phone, sms_code: v.sms_code,
      });
      const row = (k, v) => el('div', {}, el('dt', {}, k), el('dd', {}, v));
      document.querySelector('[data-exam-ids]').replaceChildren(...r.exam_ids.map((x) =>
        el('dl', { class: 'summary-list compact' }, row('准考证号', x.exam_id),
           row('姓名', x.name), row('身份证号', x.id_number))));
      steps.finish('result');
    },
  });
  new SmsButton(formEl.querySelector('[data-sms]'), { form, captcha, purpose: 'forgot_exam_id' });
  await captcha.refresh();
});
