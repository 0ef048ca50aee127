/* staff-login.js - the staff console's sign-in: password and the code of the
 * authenticator app; a person without a second factor yet scans the QR code
 * the API hands out once and confirms it with a code; a temporary password
 * is replaced before anything else (?change=1 comes back here for that). */
import { get, post } from '../api.js';
import { Form } from '../form.js';
import { el, showMessage, safeNext } from '../layout.js';

const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'), '/staff/');
const steps = Object.fromEntries([...document.querySelectorAll('[data-step]')].map((f) => [f.dataset.step, f]));
let enrolToken = null;
let oldPassword = '';

function show(name) {
  for (const [k, f] of Object.entries(steps)) f.hidden = k !== name;
  const h = steps[name].querySelector('h2') || steps[name].querySelector('input');
  if (h) h.focus();
}

function signedIn(answer) {
  if (answer.staff && answer.staff.password_must_change) {
    show('change');
    if (oldPassword) steps.change.elements.old_password.value = oldPassword;
    return null; // stays here for the new password
  }
  location.assign(next);
  return Form.LEAVING;
}

new Form(steps.password, {
  async submit(v) {
    oldPassword = v.password;
    const body = { username: v.username.toLowerCase(), password: v.password };
    if (v.code) body.code = v.code;
    const r = await post('/staff/auth/login', body);
    if (r.state === 'enrol') {
      enrolToken = r.enrol_token;
      steps.enrol.querySelector('[data-secret]').textContent = r.secret;
      const img = steps.enrol.querySelector('[data-qr]');
      if (r.qr_svg) img.src = 'data:image/svg+xml;base64,' + btoa(r.qr_svg);
      else img.hidden = true;
      show('enrol');
      return null;
    }
    return signedIn(r);
  },
});

new Form(steps.enrol, {
  async submit(v) {
    return signedIn(await post('/staff/auth/enrol', { enrol_token: enrolToken, code: v.code }));
  },
});

new Form(steps.change, {
  async submit(v) {
    await post('/staff/me/password', { old_password: v.old_password, new_password: v.new_password });
    location.assign(next);
    return Form.LEAVING;
  },
});

try {
  const f = sessionStorage.getItem('zikao.flash');
  sessionStorage.removeItem('zikao.flash');
  if (f) showMessage(JSON.parse(f).text);
} catch { /* no storage: no message */ }
if (params.get('change') === '1') {
  await get('/staff/me').catch(() => null); // the session's CSRF token
  show('change');
}
document.querySelector('[data-office]').replaceChildren(el('span', {}, '高等教育自学考试 · 工作人员平台'));
document.documentElement.setAttribute('data-ready', '');
