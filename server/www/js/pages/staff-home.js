/* staff-home.js - 工作台: the review queues the caller's office handles
 * (GET /staff/queues: each with its open count, as links), the chosen
 * queue's counts per state and a chart of its items per state and per
 * handling office (CSS bars), and its items filtered by state, office and
 * automatic checks, a page at a time (GET /staff/queues/{queue}/items with
 * `after`), with bulk approval of those whose automatic checks all passed.
 * The choice lives in the address (?queue=&state=&office=&checks_passed=&after=),
 * so Back and a reload show the same list. */
import { get } from '../api.js';
import { el, flash, showMessage } from '../layout.js';
import { dataTable } from '../table.js';
import { itemPage } from '../review.js';
import { sget, spost, staffPage, STATE_NAMES, when } from '../staff.js';

const STATES = ['open', 'approved', 'returned', 'refused', 'withdrawn', 'superseded'];
const WHY = { review: '人脸比对需人工判断', failures: '多次认证未通过' };
const params = new URLSearchParams(location.search);

function chart(byOffice) {
  const max = Math.max(1, ...byOffice.map((o) => Object.values(o.counts).reduce((a, b) => a + b, 0)));
  const box = el('figure', { class: 'chart' },
    el('figcaption', {}, '各办理单位的事项（按状态）'));
  const legend = el('ul', { class: 'legend' });
  for (const s of STATES) legend.append(el('li', {}, el('span', { class: `swatch bar ${s}` }), STATE_NAMES[s]));
  box.append(legend);
  for (const o of byOffice) {
    const total = Object.values(o.counts).reduce((a, b) => a + b, 0);
    const track = el('div', { class: 'bar-track', role: 'img',
      'aria-label': `${o.name}：` + STATES.filter((s) => o.counts[s]).map((s) => `${STATE_NAMES[s]} ${o.counts[s]} 件`).join('，') });
    for (const s of STATES) {
      if (!o.counts[s]) continue;
      const bar = el('span', { class: `bar ${s}`, title: `${STATE_NAMES[s]} ${o.counts[s]}` });
      bar.style.width = `${(100 * o.counts[s]) / max}%`;
      track.append(bar);
    }
    box.append(el('div', { class: 'bar-row' }, el('span', {}, o.name), track, el('span', {}, `${total} 件`)));
  }
  if (!byOffice.length) box.append(el('p', {}, '暂无事项。'));
  return box;
}

/* Region names for the transfer lists' destinations (public, once per code). */
const regionNames = new Map();
function regionName(code) {
  if (!code) return Promise.resolve('');
  if (!regionNames.has(code)) {
    regionNames.set(code, get(`/regions/${encodeURIComponent(code)}`).then((r) => r.name, () => code));
  }
  return regionNames.get(code);
}

/* What the list says of an item, per queue (the flow's summary). */
async function about(kind, i) {
  const s = i.summary || {};
  if (kind === 'identity') return WHY[s.why] || '';
  if (kind === 'graduation') {
    return `${s.major || ''} ${s.major_name || ''}${s.level ? `（${s.level}）` : ''}；${s.state_title || ''}`;
  }
  if (kind === 'exemption') {
    return `专业 ${(s.majors || []).join('、')}；证书 ${s.certificates ?? 0} 个${s.reapplied ? '；重新申请' : ''}`;
  }
  if (kind === 'transfer') return `转入 ${await regionName(s.district)}`;
  if (kind === 'transfer_out') return `转入 ${await regionName(s.province)}`;
  return '';
}

function listUrl(changes) {
  const p = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v) p.set(k, v); else p.delete(k);
  }
  return '/staff/?' + p.toString();
}

async function showItems(queue, offices) {
  const state = params.get('state') || 'open';
  const query = new URLSearchParams({ state });
  for (const k of ['office', 'checks_passed', 'after']) if (params.get(k)) query.set(k, params.get(k));
  const { items, next } = await sget(`/queues/${encodeURIComponent(queue.kind)}/items?${query}`);
  const holder = document.querySelector('[data-items]');
  const bulk = document.querySelector('[data-bulk-actions]');
  const pickable = state === 'open' && queue.decisions.includes('approve') && items.some((i) => i.checks_passed);
  bulk.hidden = !pickable;
  if (!items.length) {
    holder.replaceChildren(el('p', {}, params.get('after') ? '没有更多事项了。' : `没有${STATE_NAMES[state]}的事项。`));
  } else {
    const abouts = await Promise.all(items.map((i) => about(queue.kind, i)));
    holder.replaceChildren(dataTable({
      caption: `${queue.title}：${STATE_NAMES[state]}的事项` +
        (params.get('office') ? `（${offices.get(params.get('office')) || params.get('office')}）` : ''),
      columns: [...(pickable ? ['选择'] : []), '考生', '证件号', '办理单位', '申请内容', '自动检查', '提交时间', '状态']
        .map((label) => ({ label })),
      rows: items.map((i, n) => [
        ...(!pickable ? [] : [i.checks_passed
          ? el('span', { class: 'choice' }, el('input', { type: 'checkbox', id: `pick-${i.id}`, name: 'items', value: String(i.id) }),
               el('label', { for: `pick-${i.id}` }, el('span', { class: 'visually-hidden' }, `选择${i.candidate.name}`)))
          : '']),
        el('a', { href: itemPage(queue.kind, i.id) }, i.candidate.name),
        i.candidate.id_number, offices.get(i.office) || i.office, abouts[n],
        i.checks_passed ? '全部通过' : '有未通过项',
        when(i.created_at), STATE_NAMES[i.state] + (i.claimed_by ? `（${i.claimed_by.name} 已认领）` : ''),
      ]),
    }));
  }
  const pager = document.querySelector('[data-pager]');
  pager.replaceChildren(
    params.get('after') ? el('a', { href: listUrl({ after: null }) }, '回到第一页') : '',
    next ? el('a', { href: listUrl({ after: next }), rel: 'next' }, '下一页') : '');
}

function fillFilter(queue, offices) {
  const form = document.querySelector('[data-filter]');
  form.querySelector('[name=queue]').value = queue.kind;
  form.querySelector('[name=state]').value = params.get('state') || 'open';
  const office = form.querySelector('[name=office]');
  for (const [code, name] of offices) office.append(el('option', { value: code }, name));
  office.value = params.get('office') || '';
  office.closest('.field').hidden = offices.size < 2 && !params.get('office');
  form.querySelector('[name=checks_passed]').value = params.get('checks_passed') || '';
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = new FormData(form);
    const p = new URLSearchParams();
    for (const [k, val] of v) if (val) p.set(k, val);
    location.assign('/staff/?' + p.toString());
  });
}

function bulkForm(queue) {
  const form = document.querySelector('[data-bulk]');
  const button = form.querySelector('button[type=submit]');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const ids = [...form.querySelectorAll('input[name=items]:checked')].map((x) => Number(x.value));
    if (!ids.length) {
      showMessage('请先勾选自动检查全部通过的事项，再批量通过。', 'error');
      return;
    }
    button.disabled = true;
    try {
      const r = await spost(`/queues/${encodeURIComponent(queue.kind)}/bulk-approve`, { items: ids });
      const failed = r.results.filter((x) => x.status !== 200);
      // The counts, the chart and the list as they are now: the page again, with the outcome.
      flash(`已通过 ${r.approved} 件` +
        (failed.length ? `；${failed.length} 件未能通过：${failed.map((x) => x.error.message).join('；')}` : '') + '。',
        failed.length ? 'error' : 'notice');
      location.assign(listUrl({ after: null }));
    } catch (e) {
      showMessage(e.message, 'error');
      button.disabled = false;
    }
  });
}

staffPage(async () => {
  const { queues } = await sget('/queues');
  const tabs = document.querySelector('[data-queues]');
  if (!queues.length) {
    tabs.replaceChildren(el('p', {}, '您所在的单位没有需要办理的审核队列。'));
    document.querySelector('[data-queue]').hidden = true;
    return;
  }
  const queue = queues.find((x) => x.kind === params.get('queue')) ||
    queues.find((x) => x.counts.open) || queues[0];
  tabs.replaceChildren(...queues.map((x) => {
    const a = el('a', { href: `/staff/?queue=${encodeURIComponent(x.kind)}` }, x.title);
    if (x === queue) a.setAttribute('aria-current', 'page');
    return el('li', { class: x === queue ? 'current' : null }, a, ' ',
              el('span', { class: x.counts.open ? 'tag wait' : 'tag' }, `待处理 ${x.counts.open || 0}`));
  }));
  document.querySelector('[data-queue-title]').textContent = queue.title;
  document.title = `${queue.title} - 工作台 - 自学考试工作人员平台`;
  const offices = new Map(queue.by_office.map((o) => [o.office, o.name]));
  document.querySelector('[data-counts]').replaceChildren(...STATES.filter((s) => s === 'open' || queue.counts[s]).map((s) =>
    el('li', {}, el('span', { class: 'n' }, String(queue.counts[s] || 0)), STATE_NAMES[s])));
  document.querySelector('[data-chart]').replaceChildren(chart(queue.by_office));
  fillFilter(queue, offices);
  bulkForm(queue);
  await showItems(queue, offices);
});
