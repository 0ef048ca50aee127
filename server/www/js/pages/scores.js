/* scores.js - 合格成绩查询 (GET /api/v1/me/scores): the passed courses across all
 * the candidate's exam IDs (seed 004's 合格成绩 table: 准考证号, 课程代码, 课程名称,
 * 成绩, 学分, 是否使用) and this sitting's results. With a major (?major=, a
 * major code: not personal data) the API adds 是否使用 from its audit and the
 * verdict, linked to the pre-check. Needs a login and a verified identity. */
import { get } from '../api.js';
import { Form } from '../form.js';
import { el, page } from '../layout.js';
import { fillMajors } from '../majors.js';
import { dataTable } from '../table.js';

const SOURCES = { exam: '考试', exemption: '免考', old_card: '旧计划合格证', transfer: '转入' };

function sittingText(s) {
  const m = /^(\d{4})-(\d\d)$/.exec(s || '');
  return m ? `${m[1]}年${+m[2]}月` : s;
}

function usedText(p) {
  if (p.used === null || p.used === undefined) return null;
  if (p.use === 'substitute') return `是（顶替 ${p.for_course}）`;
  if (p.use === 'duplicate') return '否（该课程已用另一次合格成绩）';
  return p.used ? '是' : '否';
}

function passedTable(passed, withUse) {
  const columns = [{ label: '课程' }, { label: '成绩', num: true }, { label: '学分', num: true },
                   { label: '准考证号' }, { label: '合格日期' }, { label: '来源' }];
  if (withUse) columns.push({ label: '是否使用' });
  const rows = passed.map((p) => {
    const row = [`${p.course_code} ${p.course_name || ''}`, p.score || '', String(p.credits),
                 p.exam_id || '', p.passed_on || '', SOURCES[p.source] || p.source || ''];
    if (withUse) row.push(usedText(p));
    return row;
  });
  return dataTable({ columns, rows });
}

async function show(major) {
  const data = await get('/me/scores' + (major ? `?major=${encodeURIComponent(major)}` : ''));
  const current = document.querySelector('[data-current-list]');
  current.replaceChildren(data.current.length
    ? dataTable({
      columns: [{ label: '考试时间' }, { label: '准考证号' }, { label: '课程代码' },
                { label: '课程名称' }, { label: '成绩', num: true }, { label: '是否合格' }],
      rows: data.current.map((r) => [sittingText(r.sitting), r.exam_id, r.course_code,
                                     r.course_name || '', r.score || '', r.passed ? '合格' : '不合格']),
    })
    : el('p', { class: 'muted' }, '暂无本次考试成绩。成绩公布后会显示在这里。'));

  const audit = document.querySelector('[data-audit]');
  audit.replaceChildren();
  if (data.audit) {
    const box = el('div', { class: data.audit.complete ? 'verdict complete' : 'verdict',
                            role: 'status' },
                   el('p', { class: 'big' }, data.audit.verdict),
                   el('p', {}, el('a', {
                     href: `/me/graduation-precheck.html?major=${encodeURIComponent(data.audit.major)}`,
                   }, '查看专业计划完成情况（毕业预审核）')));
    audit.append(box);
  }
  const credits = data.passed.reduce((n, p) => n + (Number(p.credits) || 0), 0);
  document.querySelector('[data-passed-list]').replaceChildren(data.passed.length
    ? el('div', {}, el('p', {}, `共 ${data.passed.length} 门合格课程，合计 ${credits} 学分。`),
         passedTable(data.passed, !!data.audit))
    : el('p', { class: 'muted' }, '暂无合格成绩。'));
  document.querySelector('[data-current]').hidden = false;
  document.querySelector('[data-passed]').hidden = false;
}

page(async () => {
  const params = new URLSearchParams(location.search);
  const select = document.querySelector('#major');
  await show(params.get('major') || '');
  await fillMajors(select, params.get('major') || '');
  new Form(document.querySelector('[data-form]'), {
    submit: async (v) => {
      await show(v.major);
      const url = location.pathname + (v.major ? `?major=${encodeURIComponent(v.major)}` : '');
      history.replaceState(null, '', url);
    },
  });
}, { login: true });
