/*
 * audit.js - the graduation audit (POST /api/v1/me/graduation/precheck, and the
 * audit a graduation submit answers) as the candidate reads it: the verdict,
 * what is not satisfied and why, every module's courses with the pass that
 * satisfies each (专业计划完成情况, seed 004), and the substitutions a plan's
 * rules offer (seed 001: 顶替英语二, 一门顶多门, 任选一门) as choices. Used by
 * 毕业预审核 and the graduation application's audit step.
 */
import { el } from './layout.js';
import { versionText } from './majors.js';
import { dataTable } from './table.js';

const STATES = {
  passed: ['✓', '已合格'],
  substituted: ['✓', '自动顶替'],
  chosen: ['✓', '选择顶替'],
};

function stateCell(c) {
  const [mark, text] = STATES[c.state] || ['✗', c.required ? '未合格' : '未修（选考课程）'];
  const rule = c.rule ? `（规则 ${c.rule}）` : '';
  return el('span', { class: c.satisfied ? 'ok-text' : c.required ? 'fail-text' : null },
            `${mark} ${text}${rule}`);
}

/* A module: open when it is not satisfied, a line to open when it is. */
function moduleTable(m) {
  const status = m.satisfied ? '已满足'
    : m.missing_credits > 0 ? `未满足，还差 ${m.missing_credits} 学分` : '未满足';
  const need = m.min_credits ? `，至少 ${m.min_credits} 学分` : '';
  return el('details', { class: 'module', open: !m.satisfied },
            el('summary', {}, `${m.name}（已获 ${m.credits} 学分${need}）`,
               el('span', { class: m.satisfied ? 'tag open' : 'tag fail' }, status)),
            dataTable({
              columns: [{ label: '序号', num: true }, { label: '课程' }, { label: '学分', num: true },
                        { label: '合格状态' }, { label: '合格课程' }],
              rows: m.courses.map((c) => [String(c.seq),
                                          `${c.code} ${c.name}${c.required ? '' : '（选考）'}`,
                                          String(c.credits), stateCell(c), c.by || '—']),
            }));
}

function list(title, items) {
  if (!items.length) return null;
  return el('div', {}, el('h3', {}, title), el('ul', {}, ...items.map((t) => el('li', {}, t))));
}

export function showAudit(a, root = document) {
  const verdict = el('div', { class: a.complete ? 'verdict complete' : 'verdict' },
                     el('p', { class: 'big' }, a.verdict),
                     el('p', {}, `${a.major.code} ${a.major.name}，${versionText(a.plan_version)}；` +
                                 `已获学分 ${a.total_credits}` +
                                 (a.min_total_credits ? `，毕业最低总学分 ${a.min_total_credits}` : '') + '。'));
  root.querySelector('[data-verdict]').replaceChildren(verdict);
  // The verdict says COMPLETE; a refused choice is listed with the refusals.
  const of = (...codes) => a.reasons.filter((r) => codes.includes(r.code)).map((r) => r.message);
  const missing = a.reasons.filter((r) => !['COMPLETE', 'CHOICE_REFUSED', 'HINT', 'OLD_CARD']
    .includes(r.code)).map((r) => r.message);
  root.querySelector('[data-findings]').replaceChildren(...[
    list('未满足的项目', missing),
    list('可以怎么办', of('HINT')),
    list('请注意', of('OLD_CARD')),
    list('未采用的顶替', a.refusals.map((r) => r.message)),
    list('已采用的顶替', a.substitutions.map((s) => `${s.message}（${s.automatic ? '系统自动' : '您的选择'}）`)),
  ].filter(Boolean));
  root.querySelector('[data-modules]').replaceChildren(...a.modules.map(moduleTable));
  const section = root.querySelector('[data-result]');
  if (section) section.hidden = false;
}

/* The choices of one rule: {node, choice()} where choice() is the API's
 * substitution object, or null when nothing is chosen for this rule. */
export function ruleBlock(r, names, passes, chosen = null) {
  const name = (code) => (names.get(code) ? `${code} ${names.get(code)}` : code);
  const id = `rule-${r.rule}`;
  const legend = el('legend', {}, `规则 ${r.rule}：${r.note || ''}`);
  if (r.kind === 'credit_pool') {
    const seen = new Set();
    const boxes = [];
    const items = [];
    // The courses not used by the plan first (those are what can replace).
    const sorted = [...passes.filter((p) => !p.used), ...passes.filter((p) => p.used)];
    for (const p of sorted) {
      if (seen.has(p.course_code)) continue;
      seen.add(p.course_code);
      const boxId = `${id}-${p.course_code}`;
      const box = el('input', { type: 'checkbox', id: boxId, value: p.course_code,
                                checked: !!chosen && (chosen.sources || []).includes(p.course_code) });
      boxes.push(box);
      items.push(el('li', { class: 'choice' }, box, el('label', { for: boxId },
        `${p.course_code} ${p.course_name || ''}（${p.credits} 学分）`,
        p.used ? el('span', { class: 'hint' }, `已用于专业计划（${p.for_course || p.course_code}）`) : null)));
    }
    const node = el('fieldset', { class: 'rule' }, legend,
                    el('p', { class: 'hint' }, `选择用来顶替 ${r.targets.map(name).join('、')} 的合格课程，合计不少于 ${r.min_credits} 学分；括号内为学分。`),
                    el('ul', { class: 'choices' }, ...items));
    return { node, choice: () => {
      const sources = boxes.filter((b) => b.checked).map((b) => b.value);
      return sources.length ? { rule: r.rule, sources } : null;
    } };
  }
  const use = el('input', { type: 'checkbox', id: `${id}-use`, value: r.rule, checked: !!chosen });
  const node = el('fieldset', { class: 'rule' }, legend,
                  el('ul', { class: 'choices' }, el('li', { class: 'choice' }, use,
                     el('label', { for: `${id}-use` },
                        `用 ${(r.sources || []).map(name).join(' 或 ')} 顶替 ${r.targets.map(name).join(r.kind === 'choose_one' ? ' 或 ' : '、')}`))));
  let source = null;
  let target = null;
  const pick = (label, codes, key) => {
    const was = chosen && (key === 'source' ? (chosen.sources || [])[0] : chosen.target);
    const sel = el('select', { id: `${id}-${key}` },
                   ...codes.map((c) => el('option', { value: c, selected: c === was }, name(c))));
    node.append(el('div', { class: 'field' }, el('label', { for: sel.id }, label), sel));
    return sel;
  };
  if (r.kind === 'choose_one') {
    if ((r.sources || []).length > 1) source = pick('用哪门课程顶替', r.sources, 'source');
    if (r.targets.length > 1) target = pick('顶替哪门课程', r.targets, 'target');
  }
  return { node, choice: () => {
    if (!use.checked) return null;
    const c = { rule: r.rule };
    if (source) c.sources = [source.value];
    if (target) c.target = target.value;
    return c;
  } };
}

/* The choice blocks of the rules a candidate chooses (one-to-one ones are
 * automatic) for this audit's plan version; chosen: substitutions to show
 * ticked ([{rule, sources, target}]). */
export function ruleBlocks(plans, audit, chosen = []) {
  const names = new Map();
  for (const p of plans ? plans.plans : []) {
    for (const m of p.modules) for (const c of m.courses) names.set(c.code, c.name);
  }
  for (const p of audit.passes) if (p.course_name) names.set(p.course_code, p.course_name);
  const rules = (plans ? plans.substitutions : []).filter((r) => r.kind !== 'one_to_one' &&
    (!r.plan_version || r.plan_version === audit.plan_version));
  return rules.map((r) => ruleBlock(r, names, audit.passes,
                                    (chosen || []).find((c) => c.rule === r.rule) || null));
}
