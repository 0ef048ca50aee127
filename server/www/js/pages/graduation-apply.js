/* graduation-apply.js - a graduation application's draft, one question page
 * at a time (me/graduation-apply.html?id=; handbooks 001 六.1-4, 004 十):
 *   1 basics  the district office that takes the application (its contact),
 *             the address (Shanxi), the records' name, ID number, exam ID,
 *             gender and photo confirmed (errors are corrected at the
 *             candidate's district first: its contact is shown);
 *   2 school  up to two main universities, then the major (and the plan
 *             version when there are two); a bachelor's major shows the
 *             学信网 authorisation (GET /me/prior-education) and gets its QR link;
 *   3 audit   the audit of the plan (POST /me/graduation/precheck) with the
 *             candidate's substitutions, the old-plan cards (Shanxi) and the
 *             files the application asks for (attachments.js);
 *   4 check   the answers, each with 修改, then 提交申请: a refusal is summarised
 *             here and shown next to its field on its step;
 *   5 done    what happens next.
 * Every 下一步 saves the draft on the server (PUT .../draft, with the step
 * reached), so the candidate resumes where they left off. Every rule is the
 * API's. Needs a login and a verified identity. */
import { api, get, post, province } from '../api.js';
import { Attachments } from '../attachments.js';
import { ruleBlocks, showAudit } from '../audit.js';
import { Form } from '../form.js';
import { appId, appPath, loadApp, nextLink, STATUS_PAGE } from '../graduation.js';
import { el, page } from '../layout.js';
import { majors, majorText, plan, versionText } from '../majors.js';
import { officeBox } from '../offices.js';
import { districtText, fillDistricts } from '../regions.js';
import { Steps } from '../steps.js';

const BACHELOR = ['本科', '专升本'];
const CARD_KINDS = { red: '红卡（旧计划合格证）', green: '绿卡（旧计划合格证）', practice: '实践课考核卡' };
/* Which step asks for each field of the draft (where a refusal is fixed). */
const FIELD_STEP = {
  confirmed: 'basics', district: 'basics', address: 'basics',
  universities: 'school', major: 'school', plan_version: 'school', prior_education: 'school',
  substitutions: 'audit', old_cards: 'audit', files: 'audit',
};
const STEP_NAMES = { basics: '第 1 步', school: '第 2 步', audit: '第 3 步' };

let app = null;       // the application as last read or saved
let shanxi = true;
let steps = null;
const forms = {};

const $ = (sel) => document.querySelector(sel);
const data = () => app.data || {};

async function save(changes, step) {
  const next = { ...data(), ...changes, step };
  app = await api('PUT', `${appPath(app.id)}/draft`, { version: app.version, data: next });
  $('[data-saved]').textContent = '已保存草稿。';
}

/* ---- 1 basics --------------------------------------------------------------------------------- */

async function basics(me) {
  const select = $('#district');
  await fillDistricts(select);
  const d = data();
  select.value = d.district || (me.district ? me.district.code : '');
  const showOffice = async () => {
    const box = $('[data-district-office]');
    if (!select.value) {
      box.replaceChildren();
      return;
    }
    const o = select.selectedOptions[0];
    box.replaceChildren(await officeBox({ code: select.value, city: `${o.dataset.city} `, name: o.textContent }));
  };
  select.addEventListener('change', () => { showOffice(); });
  await showOffice();
  if (shanxi) $('#address').value = d.address || me.address || '';
  $('#confirmed-yes').checked = d.confirmed === true;

  const identity = await get('/me/identity').catch(() => null);
  const reg = identity && identity.required.find((p) => p.kind === 'registration' && p.uploaded);
  const rows = [['姓名', me.name], ['身份证号', me.id_number], ['准考证号', (me.exam_ids || []).join('、') || '暂无'],
                ['性别', me.gender || '未登记']];
  $('[data-identity-rows]').replaceChildren(
    ...rows.map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v))),
    el('div', {}, el('dt', {}, '照片'), el('dd', {}, reg
      ? el('img', { class: 'record-photo', src: `/api/v1/me/identity/photos/registration?t=${encodeURIComponent(reg.uploaded_at)}`,
                    alt: '档案中的本人照片', width: '96', height: '128' })
      : '档案中暂无照片')));
  // Errors in the records are corrected at the candidate's own district.
  const own = me.district ? await officeBox(me.district, 3) : null;
  if (own) own.prepend(el('p', { class: 'hint' }, '信息有误时请联系您的考籍管理区县：'));
  const ownOffice = () => {
    const same = !own || select.value === me.district.code;
    $('[data-own-office]').replaceChildren(same
      ? el('p', {}, '信息有误时，请联系上面的县区招办更正。') : own);
  };
  select.addEventListener('change', ownOffice);
  ownOffice();

  forms.basics = new Form($('[data-form="basics"]'), {
    submit: async (v) => {
      const changes = { district: v.district, confirmed: v.confirmed.includes('yes') };
      if (shanxi) changes.address = v.address;
      await save(changes, 'school');
      await showStep('school');
    },
  });
}

/* ---- 2 school --------------------------------------------------------------------------------- */

let allMajors = [];
let plans = null; // the chosen major's plan

function chosenUniversities() {
  return [...document.querySelectorAll('input[name=universities]:checked')].map((i) => i.value);
}

function fillMajorList() {
  const select = $('#major');
  const keep = select.value || data().major || '';
  const unis = chosenUniversities();
  const list = allMajors.filter((m) => !unis.length || m.universities.some((u) => unis.includes(u.code)));
  select.replaceChildren(el('option', { value: '' }, '请选择'),
                         ...list.map((m) => el('option', { value: m.code }, majorText(m))));
  if (list.some((m) => m.code === keep)) select.value = keep;
}

async function priorBox(major) {
  const box = $('[data-prior]');
  const m = allMajors.find((x) => x.code === major);
  if (!m || !BACHELOR.includes(m.level)) {
    box.replaceChildren();
    return;
  }
  const p = await get('/me/prior-education');
  const tag = p.verified ? 'open' : p.state === 'mismatch' ? 'fail' : 'wait';
  const out = el('section', { class: p.verified ? 'notice' : 'warning', 'aria-labelledby': 'h-prior' },
                 el('h2', { id: 'h-prior' }, '前置学历认证（学信网） ', el('span', { class: `tag ${tag}` }, p.state_title)),
                 el('p', {}, `${m.level}专业申请毕业，须先通过学信网授权核验您的前置学历。`),
                 p.next_step ? el('p', {}, p.next_step) : null);
  if (p.record && p.verified) {
    out.append(el('p', {}, `已核验：${p.record.school} ${p.record.major}（${p.record.level}）`));
  }
  if (!p.verified) {
    const qr = el('div', { class: 'qr-link' });
    const ask = el('button', { type: 'button', class: 'secondary' }, '获取学信网授权链接');
    ask.addEventListener('click', async () => {
      ask.disabled = true;
      try {
        const r = await post('/me/prior-education/authorisations');
        qr.replaceChildren(el('p', {}, '请用手机打开下面的链接（或用学信网 App 扫码）并确认授权，完成后点“刷新授权状态”。'),
                           el('p', {}, el('a', { href: r.qr, target: '_blank', rel: 'noopener' }, '打开学信网授权页面')));
      } catch (e) {
        qr.replaceChildren(el('p', { class: 'field-error', role: 'alert' }, e.message));
      } finally {
        ask.disabled = false;
      }
    });
    const again = el('button', { type: 'button', class: 'secondary' }, '刷新授权状态');
    again.addEventListener('click', () => { priorBox(major); });
    out.append(el('div', { class: 'actions compact' }, ask, again), qr);
  }
  box.replaceChildren(out);
}

async function loadVersions(code) {
  const fs = $('[data-versions]');
  const list = $('[data-version-choices]');
  list.replaceChildren();
  fs.hidden = true;
  plans = code ? await plan(code) : null;
  if (!plans) return;
  const vs = [...plans.plans].reverse();
  const want = data().major === code ? data().plan_version : '';
  vs.forEach((p, i) => {
    const rid = `plan-${p.version}`;
    list.append(el('li', { class: 'choice' },
      el('input', { type: 'radio', id: rid, name: 'plan_version', value: p.version,
                    checked: want ? want === p.version : i === 0 }),
      el('label', { for: rid }, versionText(p.version, p.valid_from))));
  });
  fs.hidden = vs.length < 2;
}

async function school() {
  allMajors = await majors();
  const unis = new Map();
  for (const m of allMajors) for (const u of m.universities) unis.set(u.code, u.name);
  const chosen = data().universities || [];
  $('[data-universities]').replaceChildren(...[...unis].map(([code, name]) => el('li', { class: 'choice' },
    el('input', { type: 'checkbox', id: `uni-${code}`, name: 'universities', value: code,
                  checked: chosen.includes(code) }),
    el('label', { for: `uni-${code}` }, `${code} ${name}`))));
  $('[data-universities]').addEventListener('change', fillMajorList);
  fillMajorList();
  const select = $('#major');
  select.addEventListener('change', () => {
    loadVersions(select.value).catch(() => {});
    priorBox(select.value).catch(() => {});
  });
  if (select.value) await Promise.all([loadVersions(select.value), priorBox(select.value)]);

  forms.school = new Form($('[data-form="school"]'), {
    submit: async (v) => {
      const changes = { universities: v.universities, major: v.major };
      if (v.plan_version) changes.plan_version = v.plan_version;
      if (v.major !== data().major) changes.substitutions = [];
      await save(changes, 'audit');
      await showStep('audit');
    },
  });
}

/* ---- 3 audit ---------------------------------------------------------------------------------- */

let blocks = [];
let attachments = null;

async function runAudit(substitutions) {
  const d = data();
  if (!plans || plans.major.code !== d.major) plans = await plan(d.major);
  const body = { major: d.major, substitutions };
  if (d.plan_version) body.version = d.plan_version;
  let audit;
  try {
    audit = await post('/me/graduation/precheck', body);
  } catch (e) {
    if (e.code === 'SUBSTITUTION_REFUSED' && e.body && e.body.audit) showAudit(e.body.audit, $('[data-step=audit]'));
    throw e;
  }
  showAudit(audit, $('[data-step=audit]'));
  blocks = ruleBlocks(plans, audit, substitutions);
  $('[data-rule-list]').replaceChildren(...blocks.map((b) => b.node));
  $('[data-subs-section]').hidden = blocks.length === 0;
  return audit;
}

const chosenSubs = () => blocks.map((b) => b.choice()).filter(Boolean);

function cardRow(card, i) {
  const id = `card-${i}`;
  const course = el('input', { type: 'text', id: `${id}-course`, name: `old_cards[${i}].course`,
                               inputmode: 'numeric', maxlength: '5', value: card.course || '',
                               class: 'input-short', autocomplete: 'off' });
  const kind = el('select', { id: `${id}-kind`, name: `old_cards[${i}].kind` },
                  ...Object.entries(CARD_KINDS).map(([k, t]) => el('option', { value: k, selected: card.kind === k }, t)));
  const when = el('input', { type: 'text', id: `${id}-passed_on`, name: `old_cards[${i}].passed_on`,
                             inputmode: 'numeric', maxlength: '7', value: card.passed_on || '',
                             class: 'input-short', autocomplete: 'off', 'aria-describedby': `${id}-when-hint` });
  const remove = el('button', { type: 'button', class: 'link-button' }, `删除第 ${i + 1} 张卡片`);
  remove.addEventListener('click', () => {
    const cards = readCards();
    cards.splice(i, 1);
    renderCards(cards);
    $('[data-add-card]').focus();
  });
  return el('fieldset', { class: 'card-row' },
            el('legend', {}, `第 ${i + 1} 张卡片`),
            el('div', { class: 'field' }, el('label', { for: course.id }, '课程代码'), course),
            el('div', { class: 'field' }, el('label', { for: kind.id }, '卡片类别'), kind),
            el('div', { class: 'field' }, el('label', { for: when.id }, '合格年月'),
               el('p', { class: 'hint', id: `${id}-when-hint` }, '例如 2003-10'), when),
            el('p', {}, remove));
}

function readCards() {
  return [...document.querySelectorAll('.card-row')].map((row, i) => ({
    course: row.querySelector(`[name="old_cards[${i}].course"]`).value.trim(),
    kind: row.querySelector(`[name="old_cards[${i}].kind"]`).value,
    passed_on: row.querySelector(`[name="old_cards[${i}].passed_on"]`).value.trim(),
  }));
}

function renderCards(cards) {
  $('[data-card-rows]').replaceChildren(...cards.map(cardRow));
}

async function audit() {
  if (shanxi) {
    renderCards(data().old_cards || []);
    $('[data-add-card]').addEventListener('click', () => {
      const cards = readCards();
      cards.push({ kind: 'red' });
      renderCards(cards);
      $(`#card-${cards.length - 1}-course`).focus();
    });
  }
  new Form($('[data-subs]'), {
    submit: async () => {
      await runAudit(chosenSubs());
      $('#h-audit').focus();
    },
  });
  forms.audit = new Form($('[data-form="audit"]'), {
    submit: async () => {
      const changes = { substitutions: chosenSubs() };
      if (shanxi) changes.old_cards = readCards().filter((c) => c.course || c.passed_on);
      await save(changes, 'check');
      await showStep('check');
    },
  });
  attachments = new Attachments($('[data-slots]'), appPath(app.id));
}

/* ---- 4 check ---------------------------------------------------------------------------------- */

function answers() {
  const d = data();
  const m = allMajors.find((x) => x.code === d.major);
  const uniNames = new Map();
  for (const x of allMajors) for (const u of x.universities) uniNames.set(u.code, u.name);
  const select = $('#district');
  const rows = [
    ['受理县区招办', districtText(select) || d.district, 'basics'],
    shanxi ? ['通讯地址', d.address, 'basics'] : null,
    ['个人信息', d.confirmed ? '已核对无误' : '尚未确认', 'basics'],
    ['主考院校', (d.universities || []).map((c) => `${c} ${uniNames.get(c) || ''}`.trim()).join('、'), 'school'],
    ['专业', m ? majorText(m) : d.major, 'school'],
    d.plan_version ? ['专业计划', versionText(d.plan_version), 'school'] : null,
    ['课程顶替', (d.substitutions || []).length ? (d.substitutions || []).map((s) => `规则 ${s.rule}`).join('、') : '无', 'audit'],
    shanxi ? ['旧计划卡片', (d.old_cards || []).length
      ? d.old_cards.map((c) => `${c.course} ${CARD_KINDS[c.kind] || c.kind} ${c.passed_on}`).join('；') : '无', 'audit'] : null,
  ].filter(Boolean);
  $('[data-answers]').replaceChildren(...rows.map(([k, v, step]) => {
    const change = el('button', { type: 'button', class: 'link-button' }, '修改',
                      el('span', { class: 'visually-hidden' }, k));
    change.addEventListener('click', () => { showStep(step); });
    return el('div', {}, el('dt', {}, k), el('dd', {}, v || '未填写'), el('dd', { class: 'change' }, change));
  }));
}

/* A refusal of the submit: the summary here, with the way back to the step
 * that asks for the field, and the message next to the field on that step. */
function refusal(e) {
  const step = FIELD_STEP[e.field];
  for (const f of Object.values(forms)) f.clearErrors();
  const input = e.field ? document.querySelector(`[name="${e.field}"]`) : null;
  let more = null;
  if (step) {
    more = el('a', { href: `#${input ? input.id : ''}` }, `返回${STEP_NAMES[step]}修改`);
    more.addEventListener('click', (ev) => {
      ev.preventDefault();
      showStep(step, input);
    });
    if (input) Form.prototype.markField.call(null, input, e.message);
  }
  if (e.code === 'AUDIT_NOT_MET' || e.code === 'SUBSTITUTION_REFUSED') {
    if (e.body && e.body.audit) showAudit(e.body.audit, $('[data-step=audit]'));
  }
  forms.check.showErrors([{ field: null, message: e.message, more }]);
}

function check() {
  forms.check = new Form($('[data-form="check"]'), {
    submit: async () => {
      try {
        app = await post(`${appPath(app.id)}/submit`);
      } catch (e) {
        if (!e.code || e.status === 401) throw e;
        refusal(e);
        return;
      }
      done();
    },
  });
}

/* ---- 5 done ----------------------------------------------------------------------------------- */

function done() {
  $('[data-done-state]').textContent = `状态：${app.state_title}。申请内容已不能修改。`;
  $('[data-done-next]').textContent = app.next_step || '';
  const next = nextLink(app);
  $('[data-done-actions]').replaceChildren(...(next ? [next] : []));
  $('[data-saved]').textContent = '';
  steps.finish('done');
}

/* ---- the steps -------------------------------------------------------------------------------- */

async function showStep(name, focus = null) {
  if (name === 'audit') {
    await Promise.all([runAudit(data().substitutions || []), attachments.load()]);
  }
  if (name === 'check') answers();
  steps.show(name, focus);
}

page(async ({ me }) => {
  shanxi = (await province()).profile === 'shanxi';
  if (!shanxi) document.querySelectorAll('[data-shanxi]').forEach((n) => n.remove());
  app = await loadApp(appId());
  if (app.state !== 'draft') {
    location.replace(STATUS_PAGE);
    return;
  }
  steps = new Steps();
  await Promise.all([basics(me), school()]);
  await audit();
  check();
  for (const b of document.querySelectorAll('[data-back]')) {
    b.addEventListener('click', () => { showStep(b.dataset.back); });
  }
  const resume = ['school', 'audit', 'check'].includes(data().step) ? data().step : 'basics';
  if (resume !== 'basics') {
    await showStep(resume);
    $('[data-saved]').textContent = '已从上次保存的地方继续。';
  }
}, { login: true });
