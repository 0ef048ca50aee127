/* staff-notices.js - 通知公告与报考简章 (province staff act, auditors read):
 * drafts and published notices; a new one saved as a draft; PDF attachments
 * uploaded to it (the API sniffs and bounds them); publish and withdraw
 * (GET/POST /staff/notices...). Candidates read published ones on the home
 * page. */
import { csrf } from '../api.js';
import { Form } from '../form.js';
import { el, showMessage } from '../layout.js';
import { sapi, sget, spost, staffPage, when } from '../staff.js';

const KIND_NAMES = { notice: '通知公告', guide: '报考简章' };

async function uploadPdf(notice, file) {
  const res = await fetch(`/api/v1/staff/notices/${notice.id}/files?name=${encodeURIComponent(file.name)}`, {
    method: 'POST', credentials: 'same-origin', body: file,
    headers: { 'Content-Type': 'application/pdf', 'X-CSRF-Token': csrf() || '' },
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw Object.assign(new Error((data && data.error && data.error.message) || '上传失败，请重试'), { code: 'UPLOAD', field: 'file' });
}

function card(n, act) {
  const files = el('ul', {});
  for (const f of n.files) {
    files.append(el('li', {}, el('a', { href: `/api/v1/staff/notices/${n.id}/files/${f.id}`, download: f.name }, f.name),
      ` （${Math.ceil(f.size / 1024)} KB）`));
  }
  const box = el('section', { class: 'rule', 'aria-labelledby': `n-${n.id}` },
    el('h3', { id: `n-${n.id}` }, n.title),
    el('p', { class: 'muted' }, `${KIND_NAMES[n.kind]} · ${n.published ? `已发布（${when(n.published_at)}）` : '草稿，考生看不到'}`),
    el('p', { class: 'notice-body' }, n.body.length > 200 ? n.body.slice(0, 200) + '…' : n.body),
    n.files.length ? files : el('p', {}, '没有附件。'));
  if (!act) return box;
  const form = el('form', { method: 'post', class: 'form' },
    el('div', { class: 'field' }, el('label', { for: `file-${n.id}` }, `为“${n.title}”添加 PDF 附件`),
      el('input', { type: 'file', id: `file-${n.id}`, name: 'file', accept: 'application/pdf,.pdf' })),
    el('div', { class: 'actions' },
      el('button', { type: 'submit', class: 'secondary' }, '上传附件'),
      el('button', { type: 'button', 'data-publish': '' }, n.published ? '撤回发布' : '发布')));
  new Form(form, {
    async submit() {
      const file = form.elements.file.files[0];
      if (!file) throw Object.assign(new Error('请选择 PDF 文件'), { code: 'FIELD_REQUIRED', field: 'file' });
      await uploadPdf(n, file);
      showMessage(`已为“${n.title}”添加附件 ${file.name}。`);
      await list(act);
    },
  });
  const pub = form.querySelector('[data-publish]');
  pub.addEventListener('click', async () => {
    pub.disabled = true;
    try {
      await spost(`/notices/${n.id}/${n.published ? 'unpublish' : 'publish'}`);
      showMessage(n.published ? `已撤回“${n.title}”。` : `已发布“${n.title}”，考生在首页可以看到。`);
      await list(act);
    } catch (e) {
      showMessage(e.message, 'error');
      pub.disabled = false;
    }
  });
  box.append(form);
  return box;
}

async function list(act) {
  const { notices } = await sget('/notices');
  document.querySelector('[data-list]').replaceChildren(...(notices.length ? notices.map((n) => card(n, act)) : [el('p', {}, '还没有公告。')]));
}

staffPage(async ({ staff }) => {
  const act = staff.role === 'province';
  if (act) {
    document.querySelector('[data-act]').hidden = false;
    new Form(document.querySelector('[data-create]'), {
      async submit(v, form) {
        const r = await sapi('POST', '/notices', v);
        form.form.reset();
        showMessage(`已保存草稿“${r.notice.title}”；添加附件后发布，考生即可看到。`);
        await list(act);
      },
    });
  }
  await list(act);
});
