/* staff-item.js - one manual identity verification item: the ID data, the
 * other claims on the ID number, the photos side by side with every rule's
 * finding, the face distances; claim it, then approve, return or refuse with
 * the reason and next step the candidate reads (GET/POST
 * /staff/queues/identity/items/{id}...). */
import { Form } from '../form.js';
import { el, flash, showMessage } from '../layout.js';
import { sget, spost, staffPage, STATE_NAMES, summary, when } from '../staff.js';

const PHOTO_NAMES = { registration: '彩色证件照', idcard: '身份证人像面照片', holding: '手持身份证照' };
const ATTEMPT_NAMES = { passed: '通过', failed: '未通过', review: '转人工审核', pending: '检查中' };
const id = new URLSearchParams(location.search).get('id') || '';
const base = `/queues/identity/items/${encodeURIComponent(id)}`;

function findings(check) {
  const list = el('ul', { class: 'findings' });
  for (const r of check ? check.rules || [] : []) {
    const bad = r.verdict !== 'passed';
    list.append(el('li', { class: bad ? 'failed' : null },
      `${r.label || r.rule}：${bad ? '未通过' : '通过'}`,
      r.measured !== undefined ? `（测得 ${r.measured}${r.allowed ? `，要求 ${r.allowed}` : ''}）` : '',
      r.message && bad ? ` ${r.message}` : ''));
  }
  return list;
}

function render(item, detail) {
  const c = detail.candidate;
  const root = document.querySelector('[data-item]');
  const last = detail.attempts[0];
  const photos = el('div', { class: 'photos' });
  const order = Object.keys(PHOTO_NAMES);
  const shown = [...detail.photos].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  for (const p of shown) {
    const check = last && last.checks.find((k) => k.kind === p.kind);
    photos.append(el('figure', {},
      el('img', { src: `/api/v1/staff/files/${p.file_id}`, alt: `${c.name}的${PHOTO_NAMES[p.kind] || p.kind}` }),
      el('figcaption', {}, PHOTO_NAMES[p.kind] || p.kind), findings(check)));
  }
  const faces = el('ul', {});
  for (const f of last ? last.faces : []) {
    faces.append(el('li', {}, `${f.pair.replace('~', ' 与 ').replace(/registration/g, '证件照').replace(/idcard/g, '身份证照').replace(/holding/g, '手持照')}：距离 ${Number(f.distance).toFixed(2)}，${f.decision === 'passed' ? '判定为同一人' : f.decision === 'review' ? '需人工判断' : '判定不一致'}`));
  }
  root.replaceChildren(
    el('p', { class: 'lead' }, `状态：${STATE_NAMES[item.state]}` +
      (item.claimed_by ? `；${item.claimed_by.name} 已认领至 ${when(item.claimed_until)}` : '') +
      (item.decided_by ? `；${item.decided_by.name} 于 ${when(item.decided_at)} 办理` : '')),
    item.reason ? el('p', {}, `原因：${item.reason}`) : '',
    el('h2', {}, '证件信息'),
    summary([['姓名', c.name], ['证件号', c.id_number], ['性别', c.gender], ['出生日期', c.birth_date],
             ['手机号', c.phone], ['考籍管理区县', c.district_name], ['注册时间', when(c.created_at)],
             ['同一证件号的其他注册', detail.other_claims.length ? detail.other_claims.map((o) => `${o.phone}（${when(o.created_at)}）`).join('；') : '无']]),
    el('h2', {}, '照片与检查结果'),
    last ? el('p', {}, `最近一次认证：${when(last.created_at)}，${ATTEMPT_NAMES[last.state] || last.state}`) : el('p', {}, '没有认证记录。'),
    photos,
    el('h2', {}, '人脸比对'),
    faces.children.length ? faces : el('p', {}, '没有比对结果。'),
  );
  document.querySelector('[data-decide]').hidden = item.state !== 'open';
}

staffPage(async ({ staff }) => {
  const { item, detail } = await sget(base);
  document.title = `${detail.candidate.name} - 人工身份核验 - 自学考试工作人员平台`;
  render(item, detail);
  if (staff.role === 'auditor') document.querySelector('[data-decide]').hidden = true;
  const claim = document.querySelector('[data-claim]');
  claim.addEventListener('click', async () => {
    claim.disabled = true;
    try {
      const r = await spost(base + '/claim');
      showMessage(`已认领，${when(r.item.claimed_until)} 前其他人不能办理。`);
    } catch (e) {
      showMessage(e.message, 'error');
      claim.disabled = false;
    }
  });
  new Form(document.querySelector('[data-decision]'), {
    async submit(v) {
      if (!v.decision) throw Object.assign(new Error('请选择核验结论'), { code: 'FIELD_REQUIRED', field: 'decision' });
      await spost(base + '/decision', v);
      flash(v.decision === 'approve' ? `已通过 ${detail.candidate.name} 的身份核验。` : `已${v.decision === 'return' ? '退回' : '不通过'} ${detail.candidate.name} 的身份核验，考生会收到原因。`);
      location.assign('/staff/');
      return Form.LEAVING;
    },
  });
});
