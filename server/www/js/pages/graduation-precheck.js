/* graduation-precheck.js - 毕业预审核 (POST /api/v1/me/graduation/precheck): the
 * audit of a major's plan (专业计划完成情况, seed 004): the verdict, what is not
 * satisfied and why, every plan course with the pass that satisfies it (or the
 * substitution), and the substitutions the candidate may choose (seed 001: 顶替
 * 英语二, 一门顶多门, 任选一门). The page offers the rules of the plan
 * (GET /api/v1/majors/{code}/plan) and sends what was chosen; whether a
 * choice is allowed is the API's to say (422 SUBSTITUTION_REFUSED names the
 * rule, and its audit is shown). Needs a login and a verified identity. */
import { post } from '../api.js';
import { ruleBlocks, showAudit } from '../audit.js';
import { Form } from '../form.js';
import { el, page } from '../layout.js';
import { fillMajors, plan, versionText } from '../majors.js';

page(async () => {
  const formEl = document.querySelector('[data-form]');
  const select = formEl.querySelector('#major');
  const versions = formEl.querySelector('[data-versions]');
  const versionList = formEl.querySelector('[data-version-choices]');
  const subsSection = document.querySelector('[data-subs-section]');
  const ruleList = document.querySelector('[data-rule-list]');
  let plans = null; // the chosen major's plan answer
  let blocks = [];
  let blocksFor = '';
  let asked = null; // {major, version} of the audit shown

  async function loadPlan(code) {
    plans = null;
    versions.hidden = true;
    versionList.replaceChildren();
    if (!code) return;
    plans = await plan(code);
    const vs = [...plans.plans].reverse(); // the plan in force first
    vs.forEach((p, i) => {
      const rid = `version-${p.version}`;
      versionList.append(el('li', { class: 'choice' },
        el('input', { type: 'radio', id: rid, name: 'version', value: p.version, checked: i === 0 }),
        el('label', { for: rid }, versionText(p.version, p.valid_from))));
    });
    versions.hidden = vs.length < 2;
  }

  function buildRules(audit) {
    const key = `${audit.major.code}/${audit.plan_version}`;
    if (key === blocksFor) return;
    blocksFor = key;
    blocks = ruleBlocks(plans, audit);
    ruleList.replaceChildren(...blocks.map((b) => b.node));
    subsSection.hidden = blocks.length === 0;
  }

  async function run(major, version, substitutions) {
    const body = { major };
    if (version) body.version = version;
    if (substitutions) body.substitutions = substitutions;
    let audit;
    try {
      audit = await post('/me/graduation/precheck', body);
    } catch (e) {
      if (e.code === 'SUBSTITUTION_REFUSED' && e.body && e.body.audit) showAudit(e.body.audit);
      throw e;
    }
    asked = { major, version: audit.plan_version };
    showAudit(audit);
    buildRules(audit);
    document.querySelector('#h-result').focus();
  }

  select.addEventListener('change', () => {
    loadPlan(select.value).catch(() => { versions.hidden = true; });
  });

  new Form(formEl, {
    submit: async (v) => {
      if (!plans || plans.major.code !== v.major) await loadPlan(v.major);
      const version = formEl.querySelector('input[name=version]:checked');
      await run(v.major, version ? version.value : '', null);
    },
  });
  new Form(document.querySelector('[data-subs]'), {
    submit: async () => {
      await run(asked.major, asked.version, blocks.map((b) => b.choice()).filter(Boolean));
    },
  });
  document.querySelector('[data-clear]').addEventListener('click', () => {
    for (const i of ruleList.querySelectorAll('input[type=checkbox]')) i.checked = false;
  });

  const code = new URLSearchParams(location.search).get('major') || '';
  await fillMajors(select, code);
  if (select.value) await loadPlan(select.value);
}, { login: true });
