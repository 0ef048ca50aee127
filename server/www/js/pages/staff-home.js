/* staff-home.js - 工作台: the identity review queue's counts per state, a
 * chart of its items per state and per handling office (CSS bars), and the
 * items of a state with bulk approval of those whose automatic checks all
 * passed (GET /staff/queues, GET /staff/queues/identity/items). */
import { Form } from '../form.js';
import { el, showMessage } from '../layout.js';
import { dataTable } from '../table.js';
import { sget, spost, staffPage, STATE_NAMES, when } from '../staff.js';

const STATES = ['open', 'approved', 'returned', 'refused', 'withdrawn', 'superseded'];

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

async function loadItems(state) {
  const { items } = await sget(`/queues/identity/items?state=${encodeURIComponent(state)}`);
  const holder = document.querySelector('[data-items]');
  if (!items.length) {
    holder.replaceChildren(el('p', {}, `没有${STATE_NAMES[state]}的事项。`));
    return;
  }
  holder.replaceChildren(dataTable({
    caption: `${STATE_NAMES[state]}的事项`,
    columns: ['选择', '考生', '证件号', '办理单位', '自动检查', '提交时间', '状态'].map((label) => ({ label })),
    rows: items.map((i) => [
      state === 'open' && i.checks_passed
        ? el('span', { class: 'choice' }, el('input', { type: 'checkbox', id: `pick-${i.id}`, name: 'items', value: String(i.id) }),
             el('label', { for: `pick-${i.id}` }, el('span', { class: 'visually-hidden' }, `选择${i.candidate.name}`)))
        : '',
      el('a', { href: `/staff/item.html?id=${i.id}` }, i.candidate.name),
      i.candidate.id_number, officeNames.get(i.office) || i.office, i.checks_passed ? '全部通过' : '有未通过项',
      when(i.created_at), STATE_NAMES[i.state] + (i.claimed_by ? `（${i.claimed_by.name} 已认领）` : ''),
    ]),
  }));
}

/* The handling offices' names (district:140105 -> 小店区), from the counts. */
const officeNames = new Map();

staffPage(async () => {
  const { queues } = await sget('/queues');
  const q = queues.find((x) => x.kind === 'identity') || { counts: {}, by_office: [] };
  for (const o of q.by_office) officeNames.set(o.office, o.name);
  document.querySelector('[data-counts]').replaceChildren(...STATES.filter((s) => s === 'open' || q.counts[s]).map((s) =>
    el('li', {}, el('span', { class: 'n' }, String(q.counts[s] || 0)), STATE_NAMES[s])));
  document.querySelector('[data-chart]').replaceChildren(chart(q.by_office));
  const filter = document.querySelector('[data-filter]');
  new Form(filter, { submit: (v) => loadItems(v.state) });
  new Form(document.querySelector('[data-bulk]'), {
    async submit(v) {
      if (!v.items || !v.items.length) throw Object.assign(new Error('请先选择自动检查全部通过的事项'), { code: 'NONE', field: null });
      const r = await spost('/queues/identity/bulk-approve', { items: v.items.map(Number) });
      const ok = r.results.filter((x) => x.status === 200).length;
      showMessage(`已通过 ${ok} 件` + (ok < r.results.length ? `，${r.results.length - ok} 件未能通过（可能已被他人办理）` : '') + '。');
      await loadItems('open');
    },
  });
  await loadItems('open');
});
