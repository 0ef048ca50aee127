/* password.js - 修改密码 (POST /api/v1/me/password): the old password and the
 * new one twice. The API ends every other session of the account before it
 * answers (this one stays); the page says so. A refused change keeps what was
 * typed, with the API's sentence next to the field it names. Needs a login. */
import { post } from '../api.js';
import { Form } from '../form.js';
import { page } from '../layout.js';
import { Steps } from '../steps.js';

page(async () => {
  const steps = new Steps();
  const formEl = document.querySelector('[data-form]');
  new Form(formEl, {
    submit: async (v) => {
      await post('/me/password', {
        old_password: v.old_password, password: v.password, password_confirm: v.password_confirm,
      });
      formEl.reset(); // no password left in the page once it is done
      steps.finish('done');
    },
  });
}, { login: true });
