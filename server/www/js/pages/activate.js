/* activate.js - 在籍考生激活: step 1 ID number + name + captcha
 * (POST /api/v1/auth/activate/check, answered alike for anyone), step 2
 * password, phone and SMS code (POST /api/v1/auth/activate), which is where
 * the API says whether ID number and name match an enrolled record. If they
 * do not, the person goes back to step 1 with everything typed kept on both
 * steps; the SMS code stays usable, so correcting step 1 and pressing 激活
 * again is all it takes. */
import { post } from '../api.js';
import { Captcha } from '../captcha.js';
import { Form } from '../form.js';
import { el, fillHeader, page } from '../layout.js';
import { SmsButton } from '../sms.js';
import { Steps } from '../steps.js';

const STEP1_FIELDS = ['id_number', 'name', 'activation_token'];

function helpFor(e) {
  if (e.code === 'ALREADY_ACTIVATED') {
    return el('span', {}, el('a', { href: '/login.html' }, '去登录'), ' ',
              el('a', { href: '/forgot-password.html' }, '找回密码'));
  }
  if (e.code === 'IDENTITY_NOT_FOUND') return '下一步填写的密码、手机号和短信验证码都已保留。';
  return null;
}

page(async () => {
  const steps = new Steps();
  const idEl = document.querySelector('[data-identity]');
  const accountEl = document.querySelector('[data-account]');
  const captcha1 = new Captcha(idEl.querySelector('[data-captcha]'));
  const captcha2 = new Captcha(accountEl.querySelector('[data-captcha]'));
  const who = document.querySelector('[data-who]');
  let token = null;

  const identity = new Form(idEl, {
    submit: async (v) => {
      const r = await post('/auth/activate/check',
                           { id_number: v.id_number, name: v.name, ...captcha1.take() });
      token = r.activation_token;
      const change = el('button', { type: 'button', class: 'link-button' }, '修改',
                        el('span', { class: 'visually-hidden' }, '身份证号和姓名'));
      change.addEventListener('click', () => steps.show('identity', identity.input('id_number')));
      who.replaceChildren(
        el('div', {}, el('dt', {}, '身份证号'), el('dd', {}, v.id_number), el('dd', { class: 'change' }, change)),
        el('div', {}, el('dt', {}, '姓名'), el('dd', {}, v.name), el('dd', { class: 'change' })));
      steps.show('account');
    },
  });

  const account = new Form(accountEl, {
    submit: async (v) => {
      try {
        await post('/auth/activate', {
          activation_token: token, password: v.password, password_confirm: v.password_confirm,
          phone: v.phone, sms_code: v.sms_code,
        });
      } catch (e) {
        if (!e.code || !STEP1_FIELDS.includes(e.field)) throw e;
        steps.show('identity');
        identity.showError(e, helpFor(e));
        return;
      }
      fillHeader({ name: identity.values().name });
      steps.finish('done');
    },
  });
  new SmsButton(accountEl.querySelector('[data-sms]'), { form: account, captcha: captcha2,
                                                        purpose: 'activate' });
  accountEl.querySelector('[data-back]').addEventListener('click', () => history.back());

  await Promise.all([captcha1.refresh(), captcha2.refresh()]);
});
