/*
 * layout.js - what every page shares: the header's account links (登录 / 注册,
 * or the name, 个人中心 and 退出), the footer's office name, a one-line
 * message carried to the next page (flash), and the page's start.
 *
 * Every page module calls page(init, options) once:
 *   - the header and footer are filled (GET /me, GET /province);
 *   - with {login: true}, a visitor who is not logged in (or whose session
 *     ended) is sent to the login page with the API's sentence, and comes
 *     back here after logging in;
 *   - init({me}) builds the page (me: GET /me's answer or null);
 *   - then <html data-ready> marks the page ready (the browser tests wait for
 *     it). A failure shows its message at the top of the page; a business
 *     page's 403 IDENTITY_REQUIRED shows what to do (身份认证), a 401 goes to
 *     the login page with the API's sentence.
 */
import { me, meError, post, province } from './api.js';

const FLASH = 'zikao.flash';
export const IDENTITY_PAGE = '/me/identity.html';

/* Every form talks to the API through form.js; none is ever sent by the
 * browser itself (not even by an Enter pressed before the page is ready). */
document.addEventListener('submit', (ev) => ev.preventDefault(), true);

/* A sentence for the next page this tab opens (never personal data). */
export function flash(text, kind = 'notice') {
  try {
    sessionStorage.setItem(FLASH, JSON.stringify({ text, kind }));
  } catch {
    /* storage disabled: the sentence is lost, nothing else */
  }
}

function takeFlash() {
  try {
    const v = sessionStorage.getItem(FLASH);
    sessionStorage.removeItem(FLASH);
    return v ? JSON.parse(v) : null;
  } catch {
    return null;
  }
}

/* Element helper: el('p', {class: 'hint'}, 'text', child...). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/* A message box at the top of <main>: kind notice (role=status) or error (role=alert). */
export function showMessage(text, kind = 'notice', extra = null) {
  const main = document.querySelector('main');
  const box = el('div', { class: kind === 'error' ? 'notice error' : 'notice',
                          role: kind === 'error' ? 'alert' : 'status' },
                 el('p', {}, text, extra ? ' ' : null, extra));
  main.prepend(box);
  return box;
}

/* What a candidate whose identity is not verified yet reads on a business page
 * (the API's 403 IDENTITY_REQUIRED): the API's sentence and the way there. The
 * box goes after the page's heading; returns it. */
export function showIdentityRequired(e) {
  const main = document.querySelector('main');
  const box = el('section', { class: 'warning', 'aria-labelledby': 'h-identity-required' },
                 el('h2', { id: 'h-identity-required' }, '请先完成身份认证'),
                 el('p', {}, e.message),
                 el('p', {}, el('a', { class: 'button', href: IDENTITY_PAGE }, '去身份认证')));
  const h1 = main.querySelector('h1');
  if (h1) h1.after(box);
  else main.prepend(box);
  return box;
}

/* A path on this site to go to after logging in (never another site). */
export function safeNext(value, fallback = '/me/') {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') ||
      value.includes('\\')) return fallback;
  return value;
}

export function toLogin(sentence) {
  if (sentence) flash(sentence);
  const next = location.pathname + location.search;
  location.assign('/login.html?next=' + encodeURIComponent(next));
}

async function logout(button) {
  button.disabled = true;
  try {
    await post('/auth/logout');
  } catch (e) {
    if (e.status !== 401) {
      button.disabled = false;
      showMessage(e.message, 'error');
      return;
    }
  }
  flash('您已安全退出。');
  location.assign('/login.html');
}

/* The header's account links: for `who` (GET /me's answer, or {name} just
 * after a registration or activation), or for a visitor (null). */
export function fillHeader(who) {
  const nav = document.querySelector('.account-nav');
  if (!nav) return;
  nav.replaceChildren();
  if (who) {
    const out = el('button', { type: 'button', class: 'link-button' }, '退出');
    out.addEventListener('click', () => logout(out));
    nav.append(el('span', { class: 'who' }, who.name), el('a', { href: '/me/' }, '个人中心'), out);
  } else {
    nav.append(el('a', { href: '/login.html' }, '登录'), el('a', { href: '/register.html' }, '注册'));
  }
}

async function fillFooter() {
  const office = document.querySelector('[data-office]');
  if (!office) return;
  try {
    const p = await province();
    office.textContent = `主办：${p.office_name}`;
  } catch {
    /* the footer keeps its default text */
  }
}

export async function page(init, options = {}) {
  const message = takeFlash();
  try {
    const [who] = await Promise.all([me(), fillFooter()]);
    if (options.login && !who) {
      toLogin(meError() ? meError().message : '请先登录');
      return;
    }
    fillHeader(who);
    if (message) showMessage(message.text, message.kind);
    if (init) await init({ me: who });
  } catch (e) {
    if (e && e.status === 401) { // the session ended while the page loaded
      toLogin(e.message);
      return;
    }
    if (e && e.code === 'IDENTITY_REQUIRED') showIdentityRequired(e);
    else showMessage(`页面没有加载完整：${e.message}。请刷新页面重试。`, 'error');
  }
  document.documentElement.setAttribute('data-ready', '');
}
