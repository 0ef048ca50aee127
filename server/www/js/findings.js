/*
 * findings.js - a photo check's findings as the candidate reads them (the
 * photo worker's rules: identity photos, the graduation photo, material
 * JPEGs): each rule that failed or could not be checked in full - its title,
 * 通过 / 未通过, what was measured, what is allowed, the API's sentence -
 * first; the rules that passed one line each.
 */
import { el } from './layout.js';

const VERDICT = {
  passed: ['通过', 'open'],
  failed: ['未通过', 'fail'],
  skipped: ['未检查', ''],
  pending: ['检查中', 'wait'],
};

function finding(r) {
  const [word, tag] = VERDICT[r.verdict] || [r.verdict, ''];
  const rows = [];
  if (r.measured) rows.push(el('dt', {}, '测得'), el('dd', {}, r.measured));
  if (r.required) rows.push(el('dt', {}, '要求'), el('dd', {}, r.required));
  return el('li', { class: `finding ${r.verdict}` },
            el('p', { class: 'finding-title' }, el('strong', {}, r.title || r.rule), ' ',
               el('span', { class: `tag ${tag}` }, word)),
            rows.length ? el('dl', {}, ...rows) : null,
            r.message ? el('p', { class: 'finding-message' }, r.message) : null);
}

/* A rule that passed, on one line: what it measured and what is allowed. */
function passedLine(r) {
  const words = [r.measured ? `测得 ${r.measured}` : null, r.required ? `要求 ${r.required}` : null]
    .filter(Boolean).join('；');
  return el('li', {}, el('strong', {}, r.title || r.rule), ' ', el('span', { class: 'tag open' }, '通过'),
            words ? el('span', { class: 'passed-words' }, words) : null);
}

/* The rules of a photo check ({rules: [...]}) as a fragment. */
export function findingList(check) {
  const rules = check.rules || [];
  const open = rules.filter((r) => r.verdict !== 'passed');
  const passed = rules.filter((r) => r.verdict === 'passed');
  const out = document.createDocumentFragment();
  if (open.length) out.append(el('ul', { class: 'findings' }, ...open.map(finding)));
  if (passed.length) {
    out.append(el('p', { class: 'passed-head' }, `已通过的检查（${passed.length} 项）：`),
               el('ul', { class: 'passed-list' }, ...passed.map(passedLine)));
  }
  return out;
}
