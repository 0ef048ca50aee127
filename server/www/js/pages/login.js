/* login.js - 考生登录: ID number or exam ID, password, picture captcha
 * (POST /api/v1/auth/login); then the page named by ?next= (this site's
 * only) or the personal centre. A wrong password shows the API's sentence
 * with the tries left; a lockout says until when and offers 找回密码. */
import { post } from '../api.js';
import { Captcha } from '../captcha.js';
import { Form } from '../form.js';
import { el, page, safeNext, showMessage } from '../layout.js';

page(async ({ me }) => {
  const next = safeNext(new URLSearchParams(location.search).get('next'));
  if (me) {
    showMessage(`您已登录（${me.name}）。`, 'notice', el('a', { href: next }, '进入个人中心'));
  }
  const formEl = document.querySelector('[data-form]');
  const captcha = new Captcha(formEl.querySelector('[data-captcha]'));
  const form = new Form(formEl, {
    submit: async (v) => {
      try {
        await post('/auth/login', { login: v.login, password: v.password, ...captcha.take() });
      } catch (e) {
        if (e.code !== 'ACCOUNT_LOCKED') throw e;
        form.showError(e, el('a', { href: '/forgot-password.html' }, '找回密码'));
        return null;
      }
      location.assign(next);
      return Form.LEAVING;
    },
  });
  await captcha.refresh();
});
