/*
 * majors.js - majors and their plans (GET /api/v1/majors, /majors/{code}/plan;
 * public) for the pages that ask for a major: the list once per page, a
 * <select> filled with them, the words for a plan version and a rule kind.
 */
import { get } from './api.js';
import { el } from './layout.js';

let majorsOnce = null;
export function majors() {
  if (!majorsOnce) majorsOnce = get('/majors').then((r) => r.items);
  return majorsOnce;
}

export const plan = (code) => get(`/majors/${encodeURIComponent(code)}/plan`);

export const STATUS = { open: '开考', stopping: '停考过渡' };

export function majorText(m) {
  return `${m.code} ${m.name}（${m.level}）`;
}

/* A plan version as candidates say it: 新计划（2024年1月1日起） / 旧计划. */
export function versionText(v, validFrom = null) {
  const name = v === 'new' ? '新计划' : v === 'old' ? '旧计划' : v;
  const m = /^(\d{4})-(\d\d)-(\d\d)/.exec(validFrom || '');
  return m ? `${name}（${m[1]}年${+m[2]}月${+m[3]}日起）` : name;
}

export const RULE_KINDS = {
  one_to_one: '一对一顶替（系统自动）',
  one_to_many: '一门顶替多门（需选择）',
  choose_one: '任选一门顶替（需选择）',
  credit_pool: '学分顶替（需选择课程）',
};

/* Fills `select` with every major (keeping its first, empty option); selects `code`. */
export async function fillMajors(select, code = '') {
  const items = await majors();
  select.append(...items.map((m) => el('option', { value: m.code }, majorText(m))));
  if (code && items.some((m) => m.code === code)) select.value = code;
  return items;
}
