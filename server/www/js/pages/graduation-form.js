/* graduation-form.js - 毕业生登记表 (me/graduation-form.html?id=; handbook 001
 * 六.7-8) of a paid Shanxi graduation application (GET .../graduate-form: 409
 * GRADUATE_FORM_NOT_AVAILABLE before payment says the next step). The fixed
 * part (from the records) read-only; the editable fields, the résumé as rows
 * (添加 / 删除), the self-assessment; 保存 (PUT, with the version last read) and
 * 保存并导出 PDF (POST .../pdf with the form: ready at once when this input
 * was rendered before, else asked again until the pdf worker is done), then
 * the download. The API names a refused field (e.g. resume[2].to) and the
 * page shows its message there. Read-only states export without saving. */
import { api, get, post } from '../api.js';
import { Form } from '../form.js';
import { appId, appPath } from '../graduation.js';
import { el, page } from '../layout.js';
import { beijingTime } from '../windows.js';

const FIELDS = ['ethnicity', 'political_status', 'native_place', 'work_unit', 'address', 'postcode',
                'phone', 'email', 'prior_level', 'prior_school', 'prior_major', 'prior_graduated',
                'prior_cert_no', 'self_assessment'];
const ROW = [['from', '起始年月', '例如 2012-09', 7], ['to', '终止年月', '例如 2015-07，或“至今”', 7],
             ['where', '在何地、何单位学习或工作', null, 60], ['role', '任何职', null, 30],
             ['witness', '证明人', null, 20]];
const JOB = { queued: '排队等待生成', running: '正在生成', retrying: '生成遇到问题，正在重试' };
const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });
const $ = (sel) => document.querySelector(sel);

let form = null; // GET .../graduate-form
let exporting = false;

function rowBlock(r, i) {
  const box = el('fieldset', { class: 'resume-row' }, el('legend', {}, `第 ${i + 1} 段经历`));
  for (const [key, label, hint, max] of ROW) {
    const id = `resume-${i}-${key}`;
    const input = el('input', { type: 'text', id, name: `resume[${i}].${key}`, value: r[key] || '',
                                maxlength: String(max), autocomplete: 'off',
                                inputmode: hint ? 'numeric' : null,
                                class: hint ? 'input-short' : null,
                                'aria-describedby': hint ? `${id}-hint` : null,
                                disabled: !form.editable });
    box.append(el('div', { class: 'field' }, el('label', { for: id }, label),
                  hint ? el('p', { class: 'hint', id: `${id}-hint` }, hint) : null, input));
  }
  if (form.editable) {
    const del = el('button', { type: 'button', class: 'link-button' }, `删除第 ${i + 1} 段经历`);
    del.addEventListener('click', () => {
      const rows = readRows();
      rows.splice(i, 1);
      renderRows(rows);
      $('[data-add-row]').focus();
    });
    box.append(el('p', {}, del));
  }
  return box;
}

function readRows() {
  return [...document.querySelectorAll('.resume-row')].map((row, i) =>
    Object.fromEntries(ROW.map(([key]) => [key, row.querySelector(`[name="resume[${i}].${key}"]`).value.trim()])));
}

function renderRows(rows) {
  $('[data-resume]').replaceChildren(...rows.map(rowBlock));
}

function fill() {
  const f = form.fixed;
  const rows = [['姓名', f.name], ['性别', f.gender], ['身份证号', f.id_number], ['出生年月', f.birth_date],
                ['准考证号', f.exam_id], ['专业', `${f.major_code} ${f.major_name}`], ['层次', f.level],
                ['主考院校', f.university], ['县区招办', f.district]];
  $('[data-fixed]').replaceChildren(...rows.filter(([, v]) => v)
    .map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v))));
  for (const name of FIELDS) {
    const input = $(`#${name}`);
    input.value = form.data[name] || '';
    input.disabled = !form.editable;
  }
  const rows0 = form.data.resume && form.data.resume.length ? form.data.resume : [{}];
  renderRows(rows0);
  $('[data-add-row]').hidden = !form.editable;
  $('[data-save]').hidden = !form.editable;
  $('[data-export]').textContent = form.editable ? '保存并导出 PDF' : '导出 PDF';
  if (form.notice) $('[data-notice]').replaceChildren(el('p', {}, form.notice));
  $('[data-saved]').textContent = form.version > 0
    ? `已保存（${beijingTime(form.updated_at)}）。` : '还没有保存过：以下内容按考籍档案预先填写，请核对补充后保存。';
}

function values(v) {
  const data = {};
  for (const name of FIELDS) data[name] = v[name] || '';
  data.resume = readRows();
  return data;
}

/* Asks for the PDF until the pdf worker has rendered it, then offers it. */
async function exportPdf(body) {
  const section = $('[data-pdf]');
  const out = $('[data-pdf-body]');
  const line = el('p', { class: 'progress-text', role: 'status' });
  out.replaceChildren(line);
  section.hidden = false;
  let r = await post(`${appPath(form.application_id)}/graduate-form/pdf`, body);
  if (r.version) form.version = r.version;
  for (let i = 0; i < 120 && r.state !== 'ready'; i++) {
    const job = r.job || {};
    line.replaceChildren(el('progress', { 'aria-label': '登记表生成进度' }),
                         `登记表${JOB[job.state] || '正在生成'}，请稍候……`);
    await sleep(Math.max(1, r.retry_after || 1) * 1000);
    r = await post(`${appPath(form.application_id)}/graduate-form/pdf`, {});
  }
  if (r.state !== 'ready') {
    out.replaceChildren(el('p', { class: 'notice', role: 'status' }, '登记表生成时间较长，请稍后再点“导出 PDF”。'));
    return;
  }
  out.replaceChildren(
    el('p', { role: 'status' }, `登记表已生成（编号 ${r.docno}）。请下载后用 A4 纸打印一式两份，签字后按时交到县区招办。`),
    el('p', {}, el('a', { class: 'button', href: r.download, download: r.filename || '' }, '下载毕业生登记表（PDF）')));
  $('#h-pdf').focus();
}

page(async () => {
  form = await get(`${appPath(appId())}/graduate-form`).catch((e) => {
    if (e.code !== 'GRADUATE_FORM_NOT_AVAILABLE') throw e;
    $('[data-form]').hidden = true;
    $('main').querySelector('h1').after(el('div', { class: 'warning', role: 'status' }, el('p', {}, e.message)));
    return null;
  });
  if (!form) return;
  fill();
  $('[data-add-row]').addEventListener('click', () => {
    const rows = readRows();
    rows.push({});
    renderRows(rows);
    $(`#resume-${rows.length - 1}-from`).focus();
  });
  $('[data-export]').addEventListener('click', () => { exporting = true; });
  $('[data-save]').addEventListener('click', () => { exporting = false; });
  new Form($('[data-form]'), {
    submit: async (v) => {
      const wantPdf = exporting;
      exporting = false;
      if (!form.editable) {
        await exportPdf({});
        return;
      }
      const body = { version: form.version, data: values(v) };
      if (wantPdf) {
        await exportPdf(body);
        form = await get(`${appPath(form.application_id)}/graduate-form`);
      } else {
        form = await api('PUT', `${appPath(form.application_id)}/graduate-form`, body);
      }
      $('[data-saved]').textContent = `已保存（${beijingTime(form.updated_at)}）。`;
    },
  });
}, { login: true });
