/*
 * graduation.js - what the graduation pages (毕业申请, handbooks 001 六 and 004
 * 十) share: the pages of an application, the link to the next thing to do in
 * each state, the timeline, and opening the order to pay (POST
 * .../applications/{id}/order, then /me/order.html?no= pays it). The states,
 * their titles and next steps are the API's; this only says which page does
 * what.
 */
import { get, post } from './api.js';
import { el } from './layout.js';
import { orderPath } from './orders.js';
import { beijingTime } from './windows.js';

export const STATUS_PAGE = '/me/graduation.html';
export const applyPage = (id, step = '') =>
  `/me/graduation-apply.html?id=${encodeURIComponent(id)}${step ? `&step=${step}` : ''}`;
export const photoPage = (id) => `/me/graduation-photo.html?id=${encodeURIComponent(id)}`;
export const formPage = (id) => `/me/graduation-form.html?id=${encodeURIComponent(id)}`;

export const appPath = (id) => `/me/applications/${encodeURIComponent(id)}`;

/* The application named by ?id= (GET /me/applications/{id}). */
export function appId() {
  return new URLSearchParams(location.search).get('id') || '';
}
export const loadApp = (id) => get(appPath(id));

/* The link to what the candidate does next in the application's state, or null. */
export function nextLink(app) {
  switch (app.state) {
    case 'draft': return el('a', { class: 'button', href: applyPage(app.id) }, '继续填写申请');
    case 'photo': return el('a', { class: 'button', href: photoPage(app.id) }, '上传毕业照片');
    case 'approved':
    case 'awaiting_payment':
      return app.state === 'approved' && !app.open ? null : payButton(app);
    case 'paid':
    case 'papers_in':
    case 'graduated':
    case 'not_graduated':
      return app.has_form === false ? null
        : el('a', { class: 'button', href: formPage(app.id) }, '填写毕业生登记表');
    default: return null;
  }
}

/* 去缴费: opens the application's order (or finds the open one) and goes to pay it. */
export function payButton(app) {
  const b = el('button', { type: 'button' }, '去缴费');
  const out = el('span', { class: 'pay' }, b);
  b.addEventListener('click', async () => {
    b.disabled = true;
    out.querySelector('.field-error')?.remove();
    try {
      const order = await post(`${appPath(app.id)}/order`);
      location.assign(orderPath(order.order_no));
    } catch (e) {
      b.disabled = false;
      out.append(el('p', { class: 'field-error', role: 'alert' }, e.message));
    }
  });
  return out;
}

const ACTORS = { candidate: '本人', staff: '工作人员', provider: '支付平台', system: '系统' };

/* The timeline: every transition with when, who, and the reason given. */
export function timeline(app) {
  return el('ol', { class: 'timeline' }, ...(app.timeline || []).map((t) =>
    el('li', {}, el('p', {}, el('strong', {}, t.title), ' ',
                    el('span', { class: 'muted' }, `${beijingTime(t.at)}（${ACTORS[t.actor] || t.actor}）`)),
       t.reason ? el('p', {}, t.reason) : null)));
}
