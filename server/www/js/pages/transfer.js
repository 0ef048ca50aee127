/* transfer.js - 省内转考申请 (handbook 003): the origin (the management district),
 * the destination city and the district that will manage the candidate, then
 * 核对转考信息 and the submit (POST /me/applications, its draft, then submit);
 * a submitted application shows its detail: state, what happens next, the
 * printable PDF and 撤回 before the district decides. A refusal of the API
 * goes back to the form, to the field it names, with what was chosen kept. */
import { get, post } from '../api.js';
import { latestApplication, rows, saveAndSubmit, windowNotice } from '../applications.js';
import { documentLink } from '../documents.js';
import { Form } from '../form.js';
import { el, page, showMessage } from '../layout.js';
import { Steps } from '../steps.js';
import { beijingTime } from '../windows.js';

const KIND = 'transfer';

function optionText(select) {
  const o = select.selectedOptions[0];
  return o && o.value ? o.textContent : '';
}

async function fillChildren(select, code, first) {
  const items = (await get(`/regions/${code}/children`)).items;
  select.replaceChildren(el('option', { value: '' }, first),
                         ...items.map((r) => el('option', { value: r.code }, r.name)));
}

let docFor = null; // the application whose document is shown

function showDetail(steps, app, origin) {
  const d = app.data || {};
  const submitted = app.timeline.find((t) => t.transition === 'submit');
  document.querySelector('[data-state]').textContent = app.state_title;
  const last = app.timeline[app.timeline.length - 1];
  document.querySelector('[data-detail]').replaceChildren(...rows([
    ['类型', '省内转考'], ['原属地市', origin],
    ['申请时间', submitted ? beijingTime(submitted.at) : ''],
    ['转入市、区县', d.to_text || d.district], ['备注', d.remarks],
    ['审核意见', last && last.reason],
  ]));
  document.querySelector('[data-next]').textContent = app.next_step;
  document.querySelector('[data-doc-section]').hidden = false;
  if (docFor !== app.id) {
    docFor = app.id;
    documentLink(document.querySelector('[data-doc]'),
               `/api/v1/me/applications/${app.id}/transfer-detail.pdf`, '省内转考申请信息详情',
                 '申请信息详情已生成，可下载后打印。');
  }
  const withdraw = document.querySelector('[data-withdraw]');
  withdraw.hidden = !app.actions.some((a) => a.name === 'withdraw');
  steps.finish('detail');
}

page(async ({ me }) => {
  const steps = new Steps();
  const origin = `${me.district.city || ''}${me.district.name}`;
  document.querySelector('[data-origin]').replaceChildren(...rows([
    ['姓名', me.name], ['原属地市、区县', origin],
  ]));
  let app = await latestApplication(KIND);
  if (app && app.state !== 'draft') {
    showDetail(steps, app, origin);
  } else {
    windowNotice(me, 'transfer_in_province', '省内转考申请');
    steps.render('form', null, false);
  }

  const formEl = document.querySelector('[data-form]');
  const city = formEl.querySelector('#city');
  const district = formEl.querySelector('#district');
  await fillChildren(city, (await get('/province')).code, '请选择地市');
  city.addEventListener('change', () => {
    if (city.value) fillChildren(district, city.value, '请选择区县');
    else district.replaceChildren(el('option', { value: '' }, '请选择区县'));
  });
  if (app && app.state === 'draft' && app.data.city) {
    city.value = app.data.city;
    await fillChildren(district, app.data.city, '请选择区县');
    district.value = app.data.district || '';
    formEl.querySelector('#remarks').value = app.data.remarks || '';
  }

  const form = new Form(formEl, {
    submit: async (v) => {
      document.querySelector('[data-answers]').replaceChildren(...rows([
        ['类型', '省内转考'], ['原属地市、区县', origin],
        ['转入市', optionText(city)], ['转入后的考籍管理区县', optionText(district)],
        ['备注', v.remarks || '无'],
      ]));
      steps.show('confirm');
    },
  });

  new Form(document.querySelector('[data-confirm]'), {
    submit: async () => {
      const v = form.values();
      const data = { city: v.city, district: v.district, remarks: v.remarks || null,
                     to_text: `${optionText(city)}${optionText(district)}` };
      try {
        app = await saveAndSubmit(app, KIND, data);
      } catch (e) {
        if (!e.field || !form.input(e.field)) throw e;
        steps.show('form');
        form.showError(e);
        return;
      }
      showDetail(steps, app, origin);
    },
  });
  document.querySelector('[data-back]').addEventListener('click', () => history.back());

  new Form(document.querySelector('[data-withdraw]'), {
    submit: async () => {
      app = await post(`/me/applications/${app.id}/withdraw`);
      showDetail(steps, app, origin);
      showMessage('转考申请已撤回。', 'notice');
    },
  });
}, { login: true });
