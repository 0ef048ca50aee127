/*
 * applications.js - what the application pages (免考, 省内转考, 省际转出) share
 * on the application engine's API (GET/POST /me/applications, its draft,
 * its steps):
 *   latestApplication(kind)   the candidate's newest of a kind that was not
 *                             withdrawn, in full, or null
 *   windowNotice(me, windowKind, title)   says, at the top, when the kind's
 *                             window is not open now (its dates, or none)
 *   saveAndSubmit(app, kind, data)   opens one if app is null, saves data at
 *                             its version, submits; the application after
 *   rows(list)                [label, value] pairs as a summary list's rows
 *                             (pairs without a value left out)
 */
import { api, get, post } from './api.js';
import { el, showMessage } from './layout.js';
import { beijingTime } from './windows.js';

export async function latestApplication(kind) {
  const item = (await get(`/me/applications?kind=${kind}`)).items.find((a) => a.state !== 'withdrawn');
  return item ? get(`/me/applications/${item.id}`) : null;
}

export function windowNotice(me, windowKind, title) {
  const w = me.windows.find((k) => k.kind === windowKind);
  if (w && w.current && w.current.open) return;
  const next = w && (w.current || w.next);
  showMessage(next ? `不在${title}时间内：${next.name}的时间为 ${beijingTime(next.starts_at)} 至 `
                     + `${beijingTime(next.ends_at)}（北京时间）。`
                   : `目前没有安排${title}，请留意通知公告。`, 'error');
}

export async function saveAndSubmit(app, kind, data) {
  let a = app || await post('/me/applications', { kind });
  a = await api('PUT', `/me/applications/${a.id}/draft`, { version: a.version, data });
  return post(`/me/applications/${a.id}/submit`);
}

export function rows(list) {
  return list.filter(([, v]) => v).map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v)));
}
