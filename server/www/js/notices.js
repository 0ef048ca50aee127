/* notices.js - the province's published notices (通知公告) and registration
 * guides (报考简章) as candidates read them (GET /api/v1/notices):
 * noticeList(notices) for the home page, each linking to notice.html?id=. */
import { el } from './layout.js';

export const KIND_NAMES = { notice: '通知公告', guide: '报考简章' };

/* "2026-09-01T09:00:00+08:00" -> "2026年9月1日". */
export function day(ts) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(ts || '');
  return m ? `${m[1]}年${+m[2]}月${+m[3]}日` : '';
}

export function noticeList(notices) {
  if (!notices.length) return el('p', {}, '暂无通知公告。');
  return el('ul', { class: 'links notices' }, ...notices.map((n) => el('li', {},
    el('a', { href: `/notice.html?id=${n.id}` }, n.title),
    el('span', { class: 'muted' }, ` ${KIND_NAMES[n.kind]} · ${day(n.published_at)}`, n.files ? ' · 有附件' : ''))));
}
