/* graduation-photo.js - 毕业照片 (me/graduation-photo.html?id=; handbook 001
 * 六.5): the graduation photo of a submitted Shanxi application. Upload (PUT
 * .../photo, raw; the API's size and type errors next to the file field), the
 * picture shown back, progress while the photo worker checks it (GET
 * .../photo polled: every 2 s, then 5 s), then every rule's finding as on the
 * identity page; after a refusal a new upload or 申请人工审核 (POST
 * .../photo_by_hand: the district checks it); once the application moves on,
 * its next step (去缴费 when approved). Tianjin reuses the identity photo: the
 * page shows it. Needs a login and a verified identity. */
import { get, post, putFile } from '../api.js';
import { findingList } from '../findings.js';
import { Form } from '../form.js';
import { appId, appPath, loadApp, nextLink } from '../graduation.js';
import { el, page } from '../layout.js';
import { beijingTime } from '../windows.js';

const STATE = { checking: ['检查中', 'wait'], passed: ['检查通过', 'open'], failed: ['未通过', 'fail'],
                by_hand: ['由县区招办人工审核', 'wait'] };
const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });
const $ = (sel) => document.querySelector(sel);

let app = null;
let photo = null; // GET .../photo, or null before any

async function loadPhoto() {
  try {
    photo = await get(`${appPath(app.id)}/photo`);
  } catch (e) {
    if (e.code !== 'PHOTO_NOT_FOUND') throw e;
    photo = null;
  }
}

function announce(text) {
  const live = $('[data-live]');
  if (live.textContent !== text) live.textContent = text;
}

function render() {
  const may = (name) => (app.actions || []).some((a) => a.name === name);
  $('[data-state]').replaceChildren(el('div', { class: app.state === 'photo' ? 'warning' : 'notice' },
    el('h2', {}, '申请状态 ', el('span', { class: 'tag' }, app.state_title)),
    app.next_step ? el('p', {}, app.next_step) : null));
  const pic = $('[data-picture]');
  if (photo) {
    const [word, tag] = STATE[photo.state] || [photo.state, ''];
    pic.replaceChildren(
      el('img', { src: `/api/v1${appPath(app.id)}/photo/image?t=${encodeURIComponent(photo.uploaded_at || '')}`,
                  alt: '您上传的毕业照片', width: '192', height: '256' }),
      el('p', {}, photo.reused ? '使用身份认证时的报名照片。' : `上传于 ${beijingTime(photo.uploaded_at)} `,
         el('span', { class: `tag ${tag}` }, word)));
  } else {
    pic.replaceChildren(el('p', { class: 'muted' }, '尚未上传。'));
  }
  const result = $('[data-result]');
  const out = [];
  if (photo && photo.state === 'checking') {
    out.push(el('p', { class: 'progress-text' }, el('progress', { 'aria-label': '照片检查进度' }),
                '正在检查照片，通常需要几十秒，请稍候……'));
    announce('正在检查照片');
  } else if (photo && photo.rules && photo.rules.length) {
    const failed = photo.rules.filter((r) => r.verdict === 'failed').length;
    out.push(el('h3', { tabindex: '-1', 'data-verdict': '' }, '检查结果 ',
                el('span', { class: `tag ${failed ? 'fail' : 'open'}` }, failed ? `${failed} 项未通过` : '全部通过')));
    if (photo.state === 'failed') {
      out.push(el('p', {}, '请按下面标为“未通过”的项目重新拍摄，上传新照片；也可以申请由县区招办人工审核。'));
    }
    out.push(findingList(photo));
    announce(failed ? `照片检查未通过：${failed} 项` : '照片检查通过');
  }
  if (photo && photo.state === 'failed' && may('photo_by_hand')) {
    const b = el('button', { type: 'button', class: 'secondary' }, '申请人工审核');
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        app = await post(`${appPath(app.id)}/photo_by_hand`);
        await loadPhoto();
        render();
        $('h1').focus();
      } catch (e) {
        b.disabled = false;
        b.after(el('p', { class: 'field-error', role: 'alert' }, e.message));
      }
    });
    out.push(el('div', { class: 'actions' }, b));
  }
  result.replaceChildren(...out);
  $('[data-upload]').hidden = !(app.state === 'photo' && !(photo && (photo.state === 'checking' || photo.reused)));
  const next = app.state === 'photo' ? null : nextLink(app);
  $('[data-next]').replaceChildren(...(next ? [el('h2', {}, '下一步'), el('div', { class: 'actions' }, next)] : []));
}

/* Asks for the photo until its check is done, then for the application. */
async function follow() {
  for (let i = 0; i < 200 && photo && photo.state === 'checking'; i++) {
    await sleep(i < 30 ? 2000 : 5000);
    await loadPhoto();
  }
  app = await loadApp(app.id);
  render();
  $('[data-verdict]')?.focus();
}

page(async () => {
  app = await loadApp(appId());
  await loadPhoto();
  render();
  const input = $('#photo');
  const form = new Form($('[data-upload]'), {
    submit: async () => {
      const file = input.files && input.files[0];
      if (!file) {
        form.showError({ field: 'photo', message: '请先选择要上传的毕业照片' });
        return;
      }
      await putFile(`${appPath(app.id)}/photo`, file, file.type || 'application/octet-stream', 'photo');
      input.value = '';
      await loadPhoto();
      render();
      follow().catch((e) => { $('[data-result]').replaceChildren(el('p', { class: 'notice error', role: 'alert' }, e.message)); });
    },
  });
  if (photo && photo.state === 'checking') follow().catch(() => {});
}, { login: true });
