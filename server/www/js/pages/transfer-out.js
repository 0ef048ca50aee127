/* transfer-out.js - 省际转出申请 (its own window, handbook 003 快捷入口): the
 * destination province and the reason, then 核对转出信息 and the submit; a
 * submitted application shows its state, what happens next, 撤回 before the
 * province decides, and once approved the 省际转出证明 (every passed course)
 * to print. A refusal of the API goes back to the form, to its field. */
import { get, post } from '../api.js';
import { latestApplication, rows, saveAndSubmit, windowNotice } from '../applications.js';
import { documentLink } from '../documents.js';
import { Form } from '../form.js';
import { el, page, showMessage } from '../layout.js';
import { Steps } from '../steps.js';
import { beijingTime } from '../windows.js';

const KIND = 'transfer_out';

let docFor = null; // the application whose document is shown

function showDetail(steps, app, provinces) {
  const d = app.data || {};
  const submitted = app.timeline.find((t) => t.transition === 'submit');
  const last = app.timeline[app.timeline.length - 1];
  document.querySelector('[data-state]').textContent = app.state_title;
  document.querySelector('[data-detail]').replaceChildren(...rows([
    ['类型', '省际转出'], ['申请时间', submitted ? beijingTime(submitted.at) : ''],
    ['转入省份', provinces.get(d.province) || d.province], ['转出原因', d.reason],
    ['审核意见', last && last.reason],
  ]));
  document.querySelector('[data-next]').textContent = app.next_step;
  const doc = document.querySelector('[data-doc-section]');
  doc.hidden = app.state !== 'approved';
  if (!doc.hidden && docFor !== app.id) {
    docFor = app.id;
    documentLink(document.querySelector('[data-doc]'),
                 `/api/v1/me/applications/${app.id}/transfer-certificate.pdf`, '省际转出证明',
                 '省际转出证明已生成，请下载后打印，到转入省份的自考机构办理转入。');
  }
  document.querySelector('[data-withdraw]').hidden = !app.actions.some((a) => a.name === 'withdraw');
  steps.finish('detail');
}

page(async ({ me }) => {
  const steps = new Steps();
  const [home, all] = await Promise.all([get('/province'), get('/regions')]);
  const provinces = new Map(all.items.map((p) => [p.code, p.name]));
  document.querySelector('[data-origin]').replaceChildren(...rows([
    ['姓名', me.name], ['转出省份', home.name],
  ]));
  const formEl = document.querySelector('[data-form]');
  const province = formEl.querySelector('#province');
  province.append(...all.items.filter((p) => p.code !== home.code)
    .map((p) => el('option', { value: p.code }, p.name)));

  let app = await latestApplication(KIND);
  if (app && app.state !== 'draft') {
    showDetail(steps, app, provinces);
  } else {
    windowNotice(me, 'transfer_out', '省际转出申请');
    if (app) {
      province.value = app.data.province || '';
      formEl.querySelector('#reason').value = app.data.reason || '';
    }
    steps.render('form', null, false);
  }

  const form = new Form(formEl, {
    submit: async (v) => {
      document.querySelector('[data-answers]').replaceChildren(...rows([
        ['类型', '省际转出'], ['转出省份', home.name],
        ['转入省份', provinces.get(v.province)], ['转出原因', v.reason],
      ]));
      steps.show('confirm');
    },
  });

  new Form(document.querySelector('[data-confirm]'), {
    submit: async () => {
      const v = form.values();
      try {
        app = await saveAndSubmit(app, KIND, { province: v.province, reason: v.reason });
      } catch (e) {
        if (!e.field || !form.input(e.field)) throw e;
        steps.show('form');
        form.showError(e);
        return;
      }
      showDetail(steps, app, provinces);
    },
  });
  document.querySelector('[data-back]').addEventListener('click', () => history.back());

  new Form(document.querySelector('[data-withdraw]'), {
    submit: async () => {
      app = await post(`/me/applications/${app.id}/withdraw`);
      showDetail(steps, app, provinces);
      showMessage('省际转出申请已撤回。', 'notice');
    },
  });
}, { login: true });
