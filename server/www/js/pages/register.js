/* register.js - 新考生注册 (seed 004): the form (with the SMS code), then
 * 确认关键信息, then POST /api/v1/auth/register and what happens next. An error
 * from the API takes the person back to the form, to the field it names, with
 * everything they typed. */
import { post } from '../api.js';
import { Captcha } from '../captcha.js';
import { Form } from '../form.js';
import { el, fillHeader, page } from '../layout.js';
import { districtText, fillDistricts } from '../regions.js';
import { SmsButton } from '../sms.js';
import { Steps } from '../steps.js';

/* Links that help with an answer the API gave. */
function helpFor(e) {
  if (e.code === 'ENROLLED_USE_ACTIVATION') return el('a', { href: '/activate.html' }, '在籍考生激活');
  if (e.code === 'ID_NUMBER_REGISTERED') return el('a', { href: '/login.html' }, '去登录');
  return null;
}

page(async () => {
  const steps = new Steps();
  const formEl = document.querySelector('[data-form]');
  const district = formEl.querySelector('#district');
  const captcha = new Captcha(formEl.querySelector('[data-captcha]'));
  const answers = document.querySelector('[data-answers]');

  const form = new Form(formEl, {
    submit: async (v) => {
      const rows = [
        ['证件类型', '身份证', null],
        ['身份证号', v.id_number, 'id_number'],
        ['姓名', v.name, 'name'],
        ['考籍管理区县', districtText(district), 'district'],
        ['手机号码', v.phone, 'phone'],
      ];
      answers.replaceChildren(...rows.map(([label, value, field]) => {
        const change = field && el('button', { type: 'button', class: 'link-button' },
                                   '修改', el('span', { class: 'visually-hidden' }, label));
        if (change) change.addEventListener('click', () => steps.show('form', form.input(field)));
        return el('div', {}, el('dt', {}, label), el('dd', {}, value),
                  el('dd', { class: 'change' }, change));
      }));
      steps.show('confirm');
    },
  });
  new SmsButton(formEl.querySelector('[data-sms]'), { form, captcha, purpose: 'register' });

  const confirm = new Form(document.querySelector('[data-confirm]'), {
    submit: async () => {
      const v = form.values();
      try {
        await post('/auth/register', {
          id_type: '身份证', id_number: v.id_number, name: v.name, password: v.password,
          password_confirm: v.password_confirm, district: v.district, phone: v.phone,
          sms_code: v.sms_code,
        });
      } catch (e) {
        if (!e.code || !e.field || !form.input(e.field)) throw e;
        steps.show('form');
        form.showError(e, helpFor(e));
        return;
      }
      document.querySelector('[data-district-name]').textContent = districtText(district);
      fillHeader({ name: v.name });
      steps.finish('done');
    },
  });
  document.querySelector('[data-back]').addEventListener('click', () => history.back());

  await Promise.all([captcha.refresh(), fillDistricts(district)]);
});
