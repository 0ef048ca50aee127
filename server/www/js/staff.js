/*
 * staff.js - what every page of the staff console (/staff/) shares: the
 * header's navigation for the signed-in staff member's role, the staff API
 * (/api/v1/staff/..., the staff session's cookie and CSRF token), Beijing
 * times in words, and the page's start.
 *
 * staffPage(init, {admin, province}) fills the header from GET /staff/me; a
 * visitor without a staff session (or whose session ended) goes to the
 * sign-in page with the API's sentence and comes back after; then
 * init({staff}) builds the page and <html data-ready> is set (the browser
 * tests wait for it). A failure shows its message at the top.
 */
import { api } from './api.js';
import { el, flash, showMessage, safeNext } from './layout.js';

export const sget = (path) => api('GET', '/staff' + path);
export const spost = (path, body = {}) => api('POST', '/staff' + path, body);
export const sapi = (method, path, body) => api(method, '/staff' + path, body);

export const ROLE_NAMES = { province: '省级招考机构', district: '县区招办', confirmation_point: '免考确认点',
                            auditor: '审计人员' };
export const STATE_NAMES = { open: '待处理', approved: '已通过', returned: '已退回', refused: '不通过',
                             withdrawn: '已撤销', superseded: '已被替代' };

/* "2026-09-01T09:00:00+08:00" -> "2026年9月1日 09:00" (the API's times are Beijing time). */
export function when(ts) {
  if (!ts) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(ts);
  return m ? `${m[1]}年${+m[2]}月${+m[3]}日 ${m[4]}:${m[5]}` : ts;
}

/* "2026-09-01T09:00:00+08:00" -> "2026-09-01T09:00" for <input type=datetime-local>. */
export const localInput = (ts) => (ts ? ts.slice(0, 16) : '');

export function toSignIn(sentence) {
  if (sentence) flash(sentence);
  location.assign('/staff/login.html?next=' + encodeURIComponent(location.pathname + location.search));
}

const NAV = [
  ['/staff/', '工作台', () => true],
  ['/staff/notices.html', '通知公告', (s) => s.role === 'province' || s.role === 'auditor'],
  ['/staff/accounts.html', '工作人员', (s) => s.role === 'province' || s.role === 'auditor'],
];

function fillHeader(staff) {
  const nav = document.querySelector('.account-nav');
  nav.replaceChildren();
  const links = el('ul', { class: 'staff-nav' });
  for (const [href, text, shown] of NAV) {
    if (!shown(staff)) continue;
    const a = el('a', { href }, text);
    if (href === location.pathname) a.setAttribute('aria-current', 'page');
    links.append(el('li', {}, a));
  }
  const out = el('button', { type: 'button', class: 'link-button' }, '退出');
  out.addEventListener('click', async () => {
    out.disabled = true;
    try { await spost('/auth/logout'); } catch { /* signed out either way */ }
    flash('您已安全退出。');
    location.assign('/staff/login.html');
  });
  const office = staff.district_name || staff.point_name || ROLE_NAMES[staff.role];
  nav.append(links, el('span', { class: 'who' }, `${staff.name}（${office}）`), out);
}

function takeFlash() {
  try {
    const v = sessionStorage.getItem('zikao.flash');
    sessionStorage.removeItem('zikao.flash');
    return v ? JSON.parse(v) : null;
  } catch {
    return null;
  }
}

export async function staffPage(init, options = {}) {
  const message = takeFlash();
  try {
    let me;
    try {
      me = await sget('/me');
    } catch (e) {
      if (e.status === 401) { toSignIn(e.message); return; }
      throw e;
    }
    const staff = me.staff;
    if (staff.password_must_change) {
      location.assign('/staff/login.html?change=1&next=' + encodeURIComponent(safeNext(location.pathname, '/staff/')));
      return;
    }
    fillHeader(staff);
    if (message) showMessage(message.text, message.kind);
    if (init) await init({ staff });
  } catch (e) {
    if (e && e.status === 401) { toSignIn(e.message); return; }
    showMessage(`页面没有加载完整：${e.message}。请刷新页面重试。`, 'error');
  }
  document.documentElement.setAttribute('data-ready', '');
}

/* A small definition list from [[term, value], ...] (values may be nodes). */
export function summary(rows) {
  const dl = el('dl', { class: 'summary-list compact' });
  for (const [k, v] of rows) dl.append(el('div', {}, el('dt', {}, k), el('dd', {}, v ?? '—')));
  return dl;
}
