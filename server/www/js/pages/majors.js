/* majors.js - 专业计划查询 (public): every major with its level and main
 * universities (GET /api/v1/majors), and with ?code= one major's plan
 * (GET /api/v1/majors/{code}/plan): each plan version, its modules and
 * courses (code, name, credits, 必考/选考), the credits it needs, and the
 * substitution rules that apply to it. */
import { el, page, showMessage } from '../layout.js';
import { majors, plan, RULE_KINDS, STATUS, versionText } from '../majors.js';
import { dataTable } from '../table.js';

const KINDS = { theory: '理论', practice: '实践', thesis: '毕业论文' };

function dateText(d) {
  const m = /^(\d{4})-(\d\d)-(\d\d)/.exec(d || '');
  return m ? `${m[1]}年${+m[2]}月${+m[3]}日` : d;
}

async function showList() {
  const items = await majors();
  const rows = items.map((m) => [
    el('span', {}, `${m.code} `,
       el('a', { href: `/majors.html?code=${encodeURIComponent(m.code)}` }, m.name),
       m.status === 'open' ? null : ' ',
       m.status === 'open' ? null : el('span', { class: 'tag wait' }, STATUS[m.status] || m.status)),
    m.level,
    m.universities.map((u) => `(${u.code}) ${u.name}`).join('、') || '—',
  ]);
  document.querySelector('[data-list]').replaceChildren(
    el('p', {}, `共 ${items.length} 个专业。标“${STATUS.stopping}”的专业不再接收新考生。`),
    dataTable({ columns: [{ label: '专业' }, { label: '层次' }, { label: '主考院校' }], rows }));
  document.querySelector('[data-view="list"]').hidden = false;
}

function ruleText(r) {
  const courses = (list) => (list || []).join('、');
  if (r.kind === 'credit_pool') {
    return `未使用的合格课程合计不少于 ${r.min_credits} 学分，顶替 ${courses(r.targets)}`;
  }
  return `${courses(r.sources)} 顶替 ${courses(r.targets)}`;
}

function rulesFor(rules, version) {
  return rules.filter((r) => !r.plan_version || r.plan_version === version);
}

/* One plan version: the one in force open, older ones a line to open. */
function planSection(p, rules, open) {
  const total = p.modules.reduce((n, m) => n + m.courses.length, 0);
  const section = el('details', { class: 'module', open },
                     el('summary', {}, versionText(p.version, p.valid_from)),
                     el('p', {}, `${p.modules.length} 个模块，${total} 门课程`,
                        p.min_total_credits ? `；毕业最低总学分 ${p.min_total_credits}。` : '。'));
  for (const m of p.modules) {
    const need = m.min_credits ? `（本模块至少 ${m.min_credits} 学分）` : '';
    section.append(dataTable({
      caption: `${m.name}${need}`,
      columns: [{ label: '课程' }, { label: '学分', num: true }, { label: '类别' }],
      rows: m.courses.map((c) => [`${c.code} ${c.name}`, String(c.credits),
                                  `${c.required ? '必考' : '选考'}，${KINDS[c.kind] || c.kind}`]),
    }));
  }
  const own = rulesFor(rules, p.version);
  if (own.length) {
    section.append(el('p', {}, `适用于本计划的顶替规则：${own.map((r) => r.rule).join('、')}（见下方“课程顶替规则”）。`));
  }
  return section;
}

async function showPlan(code) {
  const data = await plan(code);
  const m = data.major;
  document.title = `${m.code} ${m.name} - ${document.title}`;
  document.querySelector('[data-plan-title]').textContent = `${m.code} ${m.name}`;
  const listed = (await majors()).find((x) => x.code === m.code);
  const facts = [['层次', m.level], ['状态', STATUS[m.status] || m.status],
                 ['主考院校', listed && listed.universities.length
                   ? listed.universities.map((u) => `(${u.code}) ${u.name}`).join('、') : '']];
  document.querySelector('[data-plan-facts]').replaceChildren(
    ...facts.filter(([, v]) => v).map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v))));
  const plans = [...data.plans].reverse(); // the plan in force first
  document.querySelector('[data-plans]').replaceChildren(...(plans.length
    ? plans.map((p, i) => planSection(p, data.substitutions, i === 0))
    : [el('p', { class: 'muted' }, '该专业暂无专业计划。')]));
  document.querySelector('[data-rules]').replaceChildren(data.substitutions.length
    ? dataTable({
      columns: [{ label: '规则' }, { label: '方式' }, { label: '内容' }, { label: '适用计划' },
                { label: '说明' }],
      rows: data.substitutions.map((r) => [
        r.rule, RULE_KINDS[r.kind] || r.kind,
        ruleText(r) + (r.sources_from ? `（${dateText(r.sources_from)}起合格的课程）` : ''),
        r.plan_version ? versionText(r.plan_version) : '所有计划', r.note || '']),
    })
    : el('p', { class: 'muted' }, '该专业没有课程顶替规则。'));
  document.querySelector('[data-view="plan"]').hidden = false;
}

page(async () => {
  const code = new URLSearchParams(location.search).get('code');
  if (!code) {
    await showList();
    return;
  }
  try {
    await showPlan(code);
  } catch (e) {
    if (e.code !== 'MAJOR_NOT_FOUND') throw e;
    await showList();
    showMessage(`${e.message}（${code}），请在下面的列表中选择专业。`, 'error');
  }
});
