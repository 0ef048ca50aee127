/* notice.js - one published notice or registration guide: its title, date,
 * body and PDF attachments to download (GET /api/v1/notices/{id}). */
import { get } from '../api.js';
import { el, page } from '../layout.js';
import { day, KIND_NAMES } from '../notices.js';

page(async () => {
  const id = new URLSearchParams(location.search).get('id') || '';
  const { notice } = await get(`/notices/${encodeURIComponent(id)}`);
  document.title = `${notice.title} - 自学考试考生服务平台`;
  document.querySelector('[data-title]').textContent = notice.title;
  const files = notice.files.map((f) => el('li', {},
    el('a', { href: `/api/v1/notices/${notice.id}/files/${f.id}`, download: f.name }, `下载 ${f.name}`),
    ` （PDF，${Math.ceil(f.size / 1024)} KB）`));
  document.querySelector('[data-notice]').replaceChildren(
    el('p', { class: 'muted' }, `${KIND_NAMES[notice.kind]} · 发布于 ${day(notice.published_at)}`),
    ...notice.body.split(/\n+/).map((line) => el('p', {}, line)),
    files.length ? el('h2', {}, '附件') : '', files.length ? el('ul', { class: 'links' }, ...files) : '');
});
