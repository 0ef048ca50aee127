/* staff-item.js - one review item of any queue (?queue=&id=; identity when
 * no queue is named) with what a reviewer needs to decide, read from
 * GET /staff/queues/{queue}/items/{id}:
 *   identity      the ID data, the other claims on the ID number, the photos
 *                 side by side with every rule's finding, the face distances;
 *   graduation    the candidate, the district, universities and major, the
 *                 audit recorded at submit with its substitutions, the photo
 *                 with its rules, the attached files (links), the timeline;
 *   exemption     the confirmation point, the majors, each certificate with
 *                 its photo and the courses it exempts, the timeline;
 *   transfer,     origin and destination, remarks or reason, the passed
 *   transfer_out  courses that go with the record, the timeline.
 * Then 认领 / 放弃认领, and the decision: the choices the queue's hook takes
 * (GET /staff/queues: `decisions`), a reason required for return and refuse,
 * the next step; a wrong state (someone else holds or decided it) shows the
 * API's sentence and the item as it is now. */
import { showAudit } from '../audit.js';
import { findingList } from '../findings.js';
import { Form } from '../form.js';
import { el, flash, showMessage } from '../layout.js';
import { majorText, versionText } from '../majors.js';
import { decisionLabel, decisionVerb, NOUNS, queuePage, timelineList } from '../review.js';
import { sget, spost, staffPage, STATE_NAMES, summary, when } from '../staff.js';
import { dataTable } from '../table.js';

const PHOTO_NAMES = { registration: '彩色证件照', idcard: '身份证人像面照片', holding: '手持身份证照' };
const ATTEMPT_NAMES = { passed: '通过', failed: '未通过', review: '转人工审核', pending: '检查中' };
const TITLES = { identity: '人工身份核验', graduation: '毕业申请审核', exemption: '免考申请确认',
                 transfer: '省内转考审核', transfer_out: '省际转出审核' };
const FILE_STATES = { accepted: '检查通过', passed: '检查通过', checking: '检查中', pending: '检查中',
                      refused: '未通过', failed: '未通过', by_hand: '人工认可' };
const SLOT_NAMES = { old_cards: '旧计划课程合格证（红卡/绿卡）或实践课考核卡扫描件压缩包',
                     prior_education: '前置学历证明材料' };
const ID_TYPES = { id_card: '居民身份证', passport: '护照', hk_macao_permit: '港澳居民来往内地通行证',
                   taiwan_permit: '台湾居民来往大陆通行证' };

/* What to do when the item moved on (409): said after the API's sentence. */
const WRONG_STATE = {
  ITEM_CLAIMED: '请等认领到期或对方放弃认领后再办理，也可以先办理其他事项。',
  ITEM_DECIDED: '下方是办理结果，无需再办理。',
  ITEM_WITHDRAWN: '请返回队列办理其他事项。',
  ITEM_SUPERSEDED: '请返回队列办理其他事项。',
};

const params = new URLSearchParams(location.search);
const kind = params.get('queue') || 'identity';
const id = params.get('id') || '';
const base = `/queues/${encodeURIComponent(kind)}/items/${encodeURIComponent(id)}`;
const FILE = (fileId) => `/api/v1/staff/files/${encodeURIComponent(fileId)}`;

function identityFindings(check) {
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

function identity(detail) {
  const c = detail.candidate;
  const last = detail.attempts[0];
  const photos = el('div', { class: 'photos' });
  const order = Object.keys(PHOTO_NAMES);
  const shown = [...detail.photos].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  for (const p of shown) {
    const check = last && last.checks.find((k) => k.kind === p.kind);
    photos.append(el('figure', {},
      el('img', { src: FILE(p.file_id), alt: `${c.name}的${PHOTO_NAMES[p.kind] || p.kind}` }),
      el('figcaption', {}, PHOTO_NAMES[p.kind] || p.kind), identityFindings(check)));
  }
  const faces = el('ul', {});
  for (const f of last ? last.faces : []) {
    faces.append(el('li', {}, `${f.pair.replace('~', ' 与 ').replace(/registration/g, '证件照').replace(/idcard/g, '身份证照').replace(/holding/g, '手持照')}：距离 ${Number(f.distance).toFixed(2)}，${f.decision === 'passed' ? '判定为同一人' : f.decision === 'review' ? '需人工判断' : '判定不一致'}`));
  }
  return [
    el('h2', {}, '证件信息'),
    summary([['姓名', c.name], ['证件号', c.id_number], ['性别', c.gender], ['出生日期', c.birth_date],
             ['手机号', c.phone], ['考籍管理区县', c.district_name], ['注册时间', when(c.created_at)],
             ['同一证件号的其他注册', detail.other_claims.length ? detail.other_claims.map((o) => `${o.phone}（${when(o.created_at)}）`).join('；') : '无']]),
    el('h2', {}, '照片与检查结果'),
    last ? el('p', {}, `最近一次认证：${when(last.created_at)}，${ATTEMPT_NAMES[last.state] || last.state}`) : el('p', {}, '没有认证记录。'),
    photos,
    el('h2', {}, '人脸比对'),
    faces.children.length ? faces : el('p', {}, '没有比对结果。'),
  ];
}

function person(c, extra = []) {
  return summary([['姓名', c.name], ...(c.id_type ? [['证件类型', ID_TYPES[c.id_type] || c.id_type]] : []),
                  ['证件号', c.id_number], ['性别', c.gender], ...(c.birth_date ? [['出生日期', c.birth_date]] : []),
                  ['手机号', c.phone], ['准考证号', (c.exam_ids || []).join('、') || '无'], ...extra]);
}

function graduation(detail) {
  const a = detail.application;
  const d = a.data || {};
  const out = [el('h2', {}, '考生'), person(detail.candidate, [['考籍管理区县', detail.candidate.district_name]])];
  out.push(el('h2', {}, '申请内容'), summary([
    ['申请状态', a.state_title], ['提交时间', when(a.submitted_at)],
    ['毕业申请区县', a.chosen_district_name || d.district],
    ...(d.address ? [['通讯地址', d.address]] : []),
    ['主考院校', (a.universities || []).map((u) => `${u.code} ${u.name || ''}`).join('；') || '—'],
    ['申请毕业专业', a.major_name ? majorText({ code: d.major, name: a.major_name, level: a.level }) : d.major],
    ['计划版本', d.plan_version ? versionText(d.plan_version) : '按考生成绩自动选择'],
    ...(detail.papers_due && a.province === 'shanxi' ? [['纸质材料交回截止', when(detail.papers_due)]] : []),
  ]));
  const cards = Array.isArray(d.old_cards) ? d.old_cards : [];
  if (cards.length) {
    out.push(el('h3', {}, '填报的旧计划合格课程（成绩记录中没有）'), dataTable({
      columns: [{ label: '课程代码' }, { label: '卡片' }, { label: '合格时间' }],
      rows: cards.map((k) => [k.course, k.kind === 'red' ? '红卡' : k.kind === 'green' ? '绿卡' : k.kind === 'practice' ? '实践课考核卡' : k.kind || '—', k.passed_on || '—']),
    }));
  }
  const audit = detail.audit && detail.audit.audit;
  out.push(el('h2', {}, '毕业审核结果（提交时）'));
  if (audit) {
    const box = el('div', { class: 'audit' }, el('div', { 'data-verdict': '' }), el('div', { 'data-findings': '' }),
                   el('h3', {}, '专业计划完成情况'), el('div', { 'data-modules': '' }));
    showAudit(audit, box);
    out.push(box);
  } else {
    out.push(el('p', {}, '没有提交时的审核记录。'));
  }
  out.push(el('h2', {}, '毕业照片'));
  if (detail.photo) {
    const p = detail.photo;
    out.push(el('div', { class: 'photos single' }, el('figure', {},
      el('img', { src: FILE(p.file_id), alt: `${detail.candidate.name}的毕业照片` }),
      el('figcaption', {}, `毕业照片：${FILE_STATES[p.state] || p.state}（${when(p.uploaded_at)} 上传）`),
      findingList({ rules: p.rules || [] }))));
  } else {
    out.push(el('p', {}, '还没有上传毕业照片。'));
  }
  out.push(el('h2', {}, '附件材料'));
  out.push(detail.files.length ? dataTable({
    columns: [{ label: '材料' }, { label: '检查结果' }, { label: '文件' }],
    rows: detail.files.map((f) => [`${SLOT_NAMES[f.slot] || f.slot}（第 ${f.seq} 个）`,
      (FILE_STATES[f.state] || f.state) + (f.reason ? `：${f.reason}` : ''),
      el('a', { href: FILE(f.file_id), target: '_blank', rel: 'noopener' }, `查看第 ${f.seq} 个文件`)]),
  }) : el('p', {}, '没有附件。'));
  return out;
}

function exemption(detail) {
  const a = detail.application;
  const majorName = new Map(detail.majors.map((m) => [m.code, majorText(m)]));
  const reapplied = (detail.timeline || []).some((t) => t.transition === 'reapply');
  const certs = detail.certificates.map((c, n) => el('figure', { class: 'certificate' },
    c.photo_file_id != null || c.photo != null
      ? el('img', { src: `/api/v1/staff/exemption/items/${encodeURIComponent(id)}/photos/${encodeURIComponent(c.photo)}`,
                    alt: `第 ${n + 1} 个证书（${c.title || c.type}）的照片` })
      : el('p', {}, '没有证书照片。'),
    el('figcaption', {}, el('strong', {}, `证书 ${n + 1}：${c.title || c.type}`),
       summary([['用于专业', majorName.get(c.major) || c.major], ['考试时间', c.exam_date], ['考试科目', c.subject],
                ['照片检查', FILE_STATES[c.photo_state] || c.photo_state || '—'],
                ['免考课程', c.courses.length ? c.courses.map((k) => `${k.code} ${k.name}`).join('、') : '无（该证书在此专业不免考课程）']]))));
  return [
    el('h2', {}, '考生'), person(detail.candidate),
    el('h2', {}, '申请内容'),
    summary([['免考确认点', detail.point ? detail.point.name : '—'], ['提交时间', when(a.submitted_at)],
             ['重新申请', reapplied ? '是（已凭退回重新申请过一次，再退回即为最终结果，不能再申请）' : '否（退回后考生可重新申请一次）'],
             ['申请专业', detail.majors.map(majorText).join('；') || '—']]),
    el('h2', {}, `证书与免考课程（${detail.certificates.length} 个）`),
    certs.length ? el('div', { class: 'photos' }, ...certs) : el('p', {}, '没有证书。'),
  ];
}

function transfer(detail) {
  const a = detail.application;
  const d = a.data || {};
  const from = detail.from ? `${detail.from.city_name || ''} ${detail.from.district_name}` : '—';
  const to = !detail.to ? '—' : a.kind === 'transfer' ? `${detail.to.city_name || ''} ${detail.to.district_name}`
    : detail.to.province_name;
  const rows = [['转考类型', a.kind === 'transfer' ? '省内转考' : '省际转出'], ['提交时间', when(a.submitted_at)],
                ['转出地', from], [a.kind === 'transfer' ? '转入区县' : '转入省份', to]];
  if (a.kind === 'transfer') rows.push(['备注', d.remarks || '无']);
  else rows.push(['转出原因', d.reason || '—']);
  const courses = detail.courses || [];
  return [
    el('h2', {}, '考生'), person(detail.candidate),
    el('h2', {}, '申请内容'), summary(rows),
    el('h2', {}, `合格课程（${courses.length} 门，随考籍转移）`),
    courses.length ? dataTable({
      columns: [{ label: '准考证号' }, { label: '课程' }, { label: '成绩', num: true }, { label: '学分', num: true }, { label: '合格时间' }],
      rows: courses.map((k) => [k.exam_id, `${k.code} ${k.name}`, k.score, String(k.credits), k.passed_on]),
    }) : el('p', {}, '没有合格课程。'),
  ];
}

const RENDER = { identity, graduation, exemption, transfer, transfer_out: transfer };

function statusLine(item, me) {
  const parts = [`状态：${STATE_NAMES[item.state]}`];
  if (item.claimed_by) {
    parts.push(item.claimed_by.id === me.id ? `您已认领，${when(item.claimed_until)} 前其他人不能办理`
      : `${item.claimed_by.name} 已认领至 ${when(item.claimed_until)}，其间您不能办理`);
  }
  if (item.decided_by) parts.push(`${item.decided_by.name} 于 ${when(item.decided_at)} 办理`);
  return parts.join('；');
}

function render(item, detail, me) {
  const root = document.querySelector('[data-item]');
  const sections = (RENDER[kind] || (() => []))(detail);
  root.replaceChildren(
    el('p', { class: 'lead', 'data-status': '' }, statusLine(item, me)),
    item.reason ? el('p', {}, `原因：${item.reason}`) : '',
    item.next_step ? el('p', {}, `下一步：${item.next_step}`) : '',
    ...sections,
    ...(detail.timeline ? [el('h2', {}, '办理记录'), timelineList(detail.timeline)] : []));
  const decide = document.querySelector('[data-decide]');
  decide.hidden = item.state !== 'open' || me.role === 'auditor';
  const mine = item.claimed_by && item.claimed_by.id === me.id;
  document.querySelector('[data-claim]').hidden = mine;
  document.querySelector('[data-release]').hidden = !mine;
}

function choices(decisions) {
  const list = document.querySelector('[data-choices]');
  list.replaceChildren(...decisions.map((d) => el('li', { class: 'choice' },
    el('input', { type: 'radio', id: `d-${d}`, name: 'decision', value: d }),
    el('label', { for: `d-${d}` }, decisionLabel(kind, d)))));
  const hint = document.querySelector('#reason-hint');
  const needs = decisions.filter((d) => d !== 'approve').map((d) => decisionVerb(kind, d));
  hint.textContent = `${needs.join('或')}时必填；考生会看到`;
}

staffPage(async ({ staff }) => {
  let got;
  try {
    got = await sget(base);
  } catch (e) {
    if (e.status !== 404) throw e;
    // Another office's item is 404 like one that does not exist: say both, and the way back.
    document.querySelector('[data-item]').replaceChildren(el('p', { class: 'notice error', role: 'alert' },
      '没有找到：这一项不存在，或不归您所在的单位办理。请返回工作台，从队列中打开要办理的事项。'));
    return;
  }
  const { queues } = await sget('/queues');
  let { item, detail } = got;
  const queue = queues.find((q) => q.kind === kind) || { decisions: ['approve', 'return', 'refuse'] };
  const name = detail.candidate.name;
  const title = queue.title || TITLES[kind] || '审核事项';
  document.querySelector('h1').textContent = `${title}：${name}`;
  document.title = `${name} - ${title} - 自学考试工作人员平台`;
  const back = document.querySelector('[data-back]');
  back.href = queuePage(kind);
  back.textContent = `返回${title}队列`;
  choices(queue.decisions);
  render(item, detail, staff);

  /* A refusal that says the item moved on (someone else holds or decided
   * it, the candidate withdrew): the API's sentence, what to do about it, and
   * the item as it is now. */
  async function wrongState(e) {
    const box = showMessage(`${e.message.replace(/。$/, '')}。${WRONG_STATE[e.code] || '页面已更新为事项的当前状态。'}`, 'error');
    box.tabIndex = -1;
    box.focus();
    try {
      ({ item, detail } = await sget(base));
      render(item, detail, staff);
    } catch { /* the message shown says what happened */ }
  }
  const claim = document.querySelector('[data-claim]');
  const release = document.querySelector('[data-release]');
  for (const [button, path, done] of [[claim, '/claim', (r) => `已认领，${when(r.item.claimed_until)} 前其他人不能办理。`],
                                      [release, '/release', () => '已放弃认领，其他工作人员现在可以办理。']]) {
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const r = await spost(base + path);
        item = r.item;
        render(item, detail, staff);
        showMessage(done(r));
      } catch (e) {
        if (e.status === 409) await wrongState(e);
        else showMessage(e.message, 'error');
      } finally {
        button.disabled = false;
      }
    });
  }
  new Form(document.querySelector('[data-decision]'), {
    async submit(v) {
      if (!v.decision) throw Object.assign(new Error('请选择审核结论'), { code: 'FIELD_REQUIRED', field: 'decision' });
      try {
        await spost(base + '/decision', v);
      } catch (e) {
        if (e.status !== 409) throw e;
        await wrongState(e);
        return undefined;
      }
      flash(`已${decisionVerb(kind, v.decision)} ${name} 的${NOUNS[kind] || '申请'}` +
            (v.decision === 'approve' ? '。' : '，考生会收到原因。'));
      location.assign(queuePage(kind));
      return Form.LEAVING;
    },
  });
});
