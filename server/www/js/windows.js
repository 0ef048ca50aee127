/*
 * windows.js - business windows (GET /api/v1/windows, and /me's windows) as the
 * candidate sees them: per kind, the window open now (开放中, with its dates)
 * or the next one (未开放, with the dates it opens); kinds with neither are
 * named in one line (暂无安排).
 *
 * ENTRY_PAGES maps a window kind to the page that does its business; a page
 * added later (an application, a registration) adds its line here, and the
 * personal centre links an open window of that kind to it.
 */
import { el } from './layout.js';

export const ENTRY_PAGES = {
  graduation: '/me/graduation.html',
  transfer_in_province: '/me/transfer.html',
  transfer_out: '/me/transfer-out.html',
  exemption: '/me/exemption.html',
};

/* "2026-09-01T09:00:00+08:00" (Beijing time, as the API writes it) ->
 * "2026年9月1日 09:00". The text is read as written: the browser's own time
 * zone plays no part. */
export function beijingTime(iso) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(iso || '');
  if (!m) return iso || '';
  return `${m[1]}年${+m[2]}月${+m[3]}日 ${m[4]}:${m[5]}`;
}

function dates(w) {
  return el('dl', {},
            el('dt', {}, '开始'), el('dd', {}, beijingTime(w.starts_at)),
            el('dt', {}, '结束'), el('dd', {}, beijingTime(w.ends_at)));
}

/* A card (<li>) per kind with a window open or to come (the open ones first,
 * each group in the API's order), then one line naming the kinds with none. options.headingLevel (default 3);
 * options.link(kind, window) returns an <a> for an open window's card, or null. */
export function windowList(items, options = {}) {
  const level = options.headingLevel || 3;
  const ul = el('ul', { class: 'windows' });
  const none = [];
  // What can be done now first; otherwise the API's order (the handbook's).
  const sorted = [...items.filter((k) => k.current && k.current.open),
                  ...items.filter((k) => !(k.current && k.current.open))];
  for (const k of sorted) {
    const w = k.current || k.next;
    if (!w) {
      none.push(k.name);
      continue;
    }
    const open = !!(k.current && k.current.open);
    const li = el('li', { class: open ? 'window is-open' : 'window' });
    li.append(el('h' + level, {}, k.name, ' ',
                 el('span', { class: open ? 'tag open' : 'tag' }, open ? '开放中' : '未开放')),
              el('p', {}, open ? w.name : `下一期：${w.name}`), dates(w));
    const a = open && options.link ? options.link(k.kind, w) : null;
    if (a) li.append(el('p', {}, a));
    ul.append(li);
  }
  const out = document.createDocumentFragment();
  if (ul.children.length) out.append(ul);
  if (none.length) out.append(el('p', { class: 'muted' }, `暂无安排：${none.join('、')}。`));
  return out;
}
