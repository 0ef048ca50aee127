/* exemption.js - 免考申请 (handbook 002), one step at a time:
 *   choose        免考确认点 (address, phone, hours) and one or two majors
 *   certificates  the certificates added (at most four): 查看照片, 删除课程,
 *                 新增免考课程; each photo's check by the photo worker
 *   add           one certificate: the major it is for, the type (the
 *                 catalogue of that major), exam time and subject, the courses
 *                 it exempts, the photo (uploaded into the certificates slot)
 *   confirm       免考申请信息确认, then 提交
 *   detail        the state (被退回（退回原因：…）), what happens next, the
 *                 printable detail, 重新申请 once the point returned it.
 * The draft is kept by the server after every step; the API's refusals are
 * shown next to the field they name (the step that has it). */
import { api, get, post, putFile } from '../api.js';
import { latestApplication, rows, windowNotice } from '../applications.js';
import { documentLink } from '../documents.js';
import { Form } from '../form.js';
import { el, page, showMessage } from '../layout.js';
import { majors, majorText } from '../majors.js';
import { Steps } from '../steps.js';
import { dataTable } from '../table.js';
import { beijingTime } from '../windows.js';

const KIND = 'exemption';
const MAX_CERTS = 4;
const PHOTO_STATES = { checking: '检查中', accepted: '检查通过', refused: '未通过' };

let app = null;       // the application as the API last answered it
let points = [];      // 免考确认点
let majorList = [];   // every major
const catalogue = new Map(); // major -> [{code, title, courses}]
let files = [];       // the certificates slot's files
let docFor = null;

const base = () => `/me/applications/${app.id}`;
const majorName = (code) => {
  const m = majorList.find((x) => x.code === code);
  return m ? majorText(m) : code;
};

async function certificatesOf(major) {
  if (!catalogue.has(major)) {
    catalogue.set(major, (await get(`/exemption/certificates?major=${encodeURIComponent(major)}`)).items);
  }
  return catalogue.get(major);
}

async function save(data) {
  app = await api('PUT', `${base()}/draft`, { version: app.version, data });
}

async function loadFiles() {
  const slots = (await get(`${base()}/files`)).slots;
  const slot = slots.find((s) => s.slot === 'certificates');
  files = slot ? slot.files : [];
}

/* The certificates as a table; with actions while it is a draft. */
async function certTable(certs, editable, onDelete) {
  const body = [];
  for (const [i, c] of certs.entries()) {
    const type = (await certificatesOf(c.major)).find((t) => t.code === c.type) || {};
    const names = new Map((type.courses || []).map((k) => [k.code, k.name]));
    const f = files.find((x) => x.seq === c.photo);
    const photo = f ? `${PHOTO_STATES[f.state] || f.state}${f.reason ? `：${f.reason}` : ''}` : '未上传';
    const actions = el('span', {},
                       f ? el('a', { href: `/api/v1${base()}/files/certificates/${c.photo}`, target: '_blank',
                                     rel: 'noopener' }, '查看照片') : null);
    if (editable) {
      const del = el('button', { type: 'button', class: 'link-button' }, '删除课程',
                     el('span', { class: 'visually-hidden' }, `（第 ${i + 1} 个证书）`));
      del.addEventListener('click', () => onDelete(i));
      actions.append(' ', del);
    }
    body.push([String(i + 1), type.title || c.type,
               `专业：${majorName(c.major)}；考试时间：${c.exam_date}；考试科目：${c.subject}`,
               (c.courses || []).map((k) => `${k} ${names.get(k) || ''}`).join('；'), photo, actions]);
  }
  if (!body.length) return el('p', { class: 'muted' }, '还没有添加证书。');
  return dataTable({ caption: '免考申请证书课程',
                     columns: [{ label: '序号' }, { label: '证书' }, { label: '证书信息' },
                               { label: '免考课程' }, { label: '证书照片' }, { label: '操作' }],
                     rows: body });
}

function pointText(id) {
  const p = points.find((x) => x.id === id);
  return p ? `${p.name}（${p.address}；电话 ${p.phone}；${p.hours}）` : '';
}

page(async ({ me }) => {
  const steps = new Steps();
  [points, majorList] = await Promise.all([get('/exemption/points').then((r) => r.items), majors()]);
  document.querySelector('[data-who]').replaceChildren(...rows([
    ['姓名', me.name], ['准考证号', (me.exam_ids || []).join('、')],
    ['考区', `${me.district.city || ''}${me.district.name}`],
  ]));

  const chooseEl = document.querySelector('[data-choose]');
  const pointSel = chooseEl.querySelector('#point');
  pointSel.append(...points.map((p) => el('option', { value: String(p.id) }, `${p.district_name} ${p.name}`)));
  const pointInfo = document.querySelector('[data-point-info]');
  const showPoint = () => {
    const p = points.find((x) => String(x.id) === pointSel.value);
    pointInfo.replaceChildren(...(p ? rows([['地址', p.address], ['电话', p.phone], ['办公时间', p.hours],
                                            ['说明', p.note]]) : []));
  };
  pointSel.addEventListener('change', showPoint);
  for (const id of ['#major_1', '#major_2']) {
    chooseEl.querySelector(id).append(...majorList.map((m) =>
      el('option', { value: m.code }, `${majorText(m)}${m.status === 'stopping' ? ' 停考过渡' : ''}`)));
  }

  const listEl = document.querySelector('[data-cert-list]');
  let polling = false;
  const renderList = async () => {
    await loadFiles();
    const certs = app.data.certificates || [];
    listEl.replaceChildren(await certTable(certs, true, async (i) => {
      const c = certs[i];
      const rest = certs.filter((_, k) => k !== i);
      await save({ ...app.data, certificates: rest });
      if (c.photo) await api('DELETE', `${base()}/files/certificates/${c.photo}`).catch(() => null);
      await renderList();
    }));
    document.querySelector('[data-add]').hidden = certs.length >= MAX_CERTS;
    if (!polling && files.some((f) => f.state === 'checking')) {
      polling = true;
      setTimeout(async () => { polling = false; if (steps.current === 'certificates') await renderList(); }, 2000);
    }
  };

  const fill = () => {
    const d = app ? app.data : {};
    if (d.point) pointSel.value = String(d.point);
    showPoint();
    const m = d.majors || [];
    chooseEl.querySelector('#major_1').value = m[0] || '';
    chooseEl.querySelector('#major_2').value = m[1] || '';
  };

  const showDetail = async () => {
    await loadFiles();
    const last = [...app.timeline].reverse().find((t) => t.reason);
    const returned = app.state === 'returned' || app.state === 'returned_final';
    document.querySelector('[data-state]').textContent =
      returned && last ? `${app.state_title}（退回原因：${last.reason}）` : app.state_title;
    const d = app.data;
    document.querySelector('[data-detail]').replaceChildren(...rows([
      ['姓名', me.name], ['证件号码', me.id_number], ['准考证号', (me.exam_ids || []).join('、')],
      ['免考确认点', pointText(d.point)], ['专业', (d.majors || []).map(majorName).join('；')],
      ['提交时间', app.submitted_at ? beijingTime(app.submitted_at) : ''],
    ]));
    document.querySelector('[data-detail-certs]').replaceChildren(await certTable(d.certificates || [], false));
    document.querySelector('[data-next]').textContent = app.next_step;
    document.querySelector('[data-doc-section]').hidden = false;
    if (docFor !== `${app.id}:${app.version}`) {
      docFor = `${app.id}:${app.version}`;
      documentLink(document.querySelector('[data-doc]'), `/api/v1${base()}/exemption-detail.pdf`,
                   '免考申请信息详情', '免考申请信息详情已生成，可下载后打印；重新申请时携带它和本人身份证到免考确认点。');
    }
    document.querySelector('[data-reapply]').hidden = !app.actions.some((a) => a.name === 'reapply');
    steps.finish('detail');
  };

  app = await latestApplication(KIND);
  if (app && app.state !== 'draft') {
    await showDetail();
  } else {
    windowNotice(me, 'exemption', '免考申请');
    fill();
    steps.render('choose', null, false);
  }

  const choose = new Form(chooseEl, {
    submit: async (v) => {
      if (!app) app = await post('/me/applications', { kind: KIND });
      await save({ ...app.data, point: Number(v.point), majors: [v.major_1, v.major_2].filter(Boolean) });
      await renderList();
      steps.show('certificates');
    },
  });

  // ---- adding a certificate
  const addEl = document.querySelector('[data-add-form]');
  const certMajor = addEl.querySelector('#cert_major');
  const typeSel = addEl.querySelector('#type');
  const coursesEl = addEl.querySelector('[data-courses]');
  const fillTypes = async () => {
    const items = await certificatesOf(certMajor.value);
    typeSel.replaceChildren(el('option', { value: '' }, '请选择证书'),
                            ...items.map((t) => el('option', { value: t.code }, t.title)));
    coursesEl.replaceChildren();
  };
  const fillCourses = async () => {
    const t = (await certificatesOf(certMajor.value)).find((x) => x.code === typeSel.value);
    const courses = t ? t.courses : [];
    document.querySelector('[data-courses-hint]').textContent = !t ? '先选择证书，再选择它免考的课程'
      : courses.length ? '选择要用这个证书免考的课程' : '这个证书在所选专业不能免考任何课程，请换一个证书或专业';
    coursesEl.replaceChildren(...courses.map((k) => el('li', { class: 'choice' },
      el('input', { type: 'checkbox', id: `course-${k.code}`, name: 'courses', value: k.code }),
      el('label', { for: `course-${k.code}` }, `${k.code} ${k.name}`))));
  };
  certMajor.addEventListener('change', fillTypes);
  typeSel.addEventListener('change', fillCourses);
  document.querySelector('[data-add]').addEventListener('click', async () => {
    addEl.reset();
    certMajor.replaceChildren(...(app.data.majors || []).map((m) => el('option', { value: m }, majorName(m))));
    await fillTypes();
    steps.show('add');
  });
  document.querySelector('[data-cancel-add]').addEventListener('click', () => steps.show('certificates'));
  new Form(addEl, {
    submit: async (v) => {
      const file = addEl.querySelector('#photo').files[0];
      const up = await putFile(`${base()}/files/certificates`, file, file.type || 'application/octet-stream', 'photo');
      const cert = { type: v.type, major: v.major, exam_date: v.exam_date, subject: v.subject,
                     courses: v.courses || [], photo: up.seq };
      await save({ ...app.data, certificates: [...(app.data.certificates || []), cert] });
      await renderList();
      steps.show('certificates');
    },
  });
  document.querySelector('[data-to-choose]').addEventListener('click', () => { fill(); steps.show('choose'); });

  // ---- check your answers, submit
  new Form(document.querySelector('[data-certs]'), {
    submit: async () => {
      const d = app.data;
      document.querySelector('[data-answers]').replaceChildren(...rows([
        ['姓名', me.name], ['准考证号', (me.exam_ids || []).join('、')],
        ['免考确认点', pointText(d.point)], ['专业', (d.majors || []).map(majorName).join('；')],
      ]));
      document.querySelector('[data-answer-certs]').replaceChildren(await certTable(d.certificates || [], false));
      steps.show('confirm');
    },
  });
  document.querySelector('[data-back]').addEventListener('click', () => history.back());
  new Form(document.querySelector('[data-confirm]'), {
    submit: async () => {
      try {
        app = await post(`${base()}/submit`);
      } catch (e) {
        if (e.field === 'point' || e.field === 'majors') {
          fill();
          steps.show('choose');
          choose.showError(e);
          return;
        }
        throw e;
      }
      await showDetail();
    },
  });

  new Form(document.querySelector('[data-reapply]'), {
    submit: async () => {
      app = await post(`${base()}/reapply`);
      steps.final = false;
      fill();
      steps.show('choose');
      showMessage('已重新打开免考申请：修改后重新提交。重新申请机会仅限一次。', 'notice');
    },
  });
}, { login: true });
